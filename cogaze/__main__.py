"""``python -m cogaze``."""

import sys

from cogaze.cli import main

sys.exit(main())
