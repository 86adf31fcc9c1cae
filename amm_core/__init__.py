"""AMM Studio core: the AMM model (Zhang et al., BIBM 2021), corpus readers, the `amm` command."""

__version__ = "0.1.0"
