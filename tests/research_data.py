"""Where the public research datasets are read from: ``BRIGHTLINE_SHARED_DATA``, else a ``shared/data`` folder
beside the checkout. They are not part of the repository; the tests that score a model on them skip without them."""

from __future__ import annotations

import os
from pathlib import Path

RESEARCH_DATA = Path(os.environ.get("BRIGHTLINE_SHARED_DATA")
                     or Path(__file__).resolve().parents[1].parent / "shared" / "data")
