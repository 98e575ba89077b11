"""Allow ``python -m devkit``."""

import sys

from devkit.cli import main

sys.exit(main())
