"""AMM Studio core: the AMM model (Zhang et al., BIBM 2021), corpus readers, the `amm` command."""

import os

# OpenMP threads that spin while they wait collapse when the two cores are shared (training next
# to the dashboard, or two jobs): measured 2-thread training at 17-47 samples/s with spinning vs
# 40-131 passive. Set before torch loads; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
