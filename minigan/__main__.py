"""`python -m minigan ...` runs the same command line as the `minigan` script."""

import sys

from .cli import main

sys.exit(main())
