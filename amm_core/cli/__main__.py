"""`python -m amm_core.cli` runs the `amm` command."""

import sys

from amm_core.cli import main

sys.exit(main())
