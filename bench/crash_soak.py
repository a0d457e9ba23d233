#!/usr/bin/env python3
"""The long SIGKILL soak: the suite's crash test with many more kills.

    python3 bench/crash_soak.py [KILLS] [SEED]

Runs tests/durability/test_crash.py with PASAR_CRASH_KILLS (default 300) and, if given,
PASAR_CRASH_SEED (otherwise a fresh one, printed, so a failing soak can be replayed). Prints
the test's own summary line: kills, confirmed orders, checks after every later kill, orders
in the store, the time and the seed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    env = dict(os.environ, PASAR_CRASH_KILLS=argv[0] if argv else "300")
    if len(argv) > 1:
        env["PASAR_CRASH_SEED"] = argv[1]
    test = "tests/durability/test_crash.py::test_sigkill_while_ordering_loses_no_confirmed_order"
    return subprocess.call(
        [sys.executable, "-m", "pytest", "-q", "-s", "-n", "0", "-p", "no:cacheprovider", test],
        cwd=ROOT, env=env,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
