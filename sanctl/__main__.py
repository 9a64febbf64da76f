"""``python -m sanctl``."""

import sys

from sanctl.cli import main

sys.exit(main())
