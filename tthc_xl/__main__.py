"""`python -m tthc_xl …`, the same as `tthc-xl …`."""

import sys

from tthc_xl.cli import main

sys.exit(main())
