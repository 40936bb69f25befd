"""``python -m compounding …``: see :mod:`compounding.cli`."""

import sys

from .cli import main

sys.exit(main())
