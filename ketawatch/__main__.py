"""``python -m ketawatch`` runs the command line."""

import sys

from ketawatch.cli import main

sys.exit(main())
