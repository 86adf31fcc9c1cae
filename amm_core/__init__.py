"""AMM Studio core: the AMM model of Zhang et al. (BIBM 2021), data readers and the `amm` command."""

__version__ = "0.1.0"
