"""`python -m cutover.parity run|replay`."""

import sys

from cutover.parity.cli import main

sys.exit(main())
