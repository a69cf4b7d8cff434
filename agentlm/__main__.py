"""`python -m agentlm` (and `torchrun -m agentlm ...`) runs the CLI."""

import sys

from agentlm.cli import main

sys.exit(main())
