"""`python -m analysis.cli`: the same command line as `capi-audit`."""
from __future__ import annotations

import sys

from analysis.cli import main

sys.exit(main())
