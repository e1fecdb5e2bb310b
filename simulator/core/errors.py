"""How a command stops on a user's mistake: one line on stderr naming what is wrong, exit code 2.

Every stage may call it (card loading, export, calibration), so it lives on the ground floor.
"""

from __future__ import annotations

import sys


def fail(msg: str, code: int = 2) -> "None":
    print(f"empathy-sim: error: {msg}", file=sys.stderr)
    raise SystemExit(code)
