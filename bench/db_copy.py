"""`main.py db copy` of a 10,000-order embedded store into PostgreSQL (issue 14 item 6).

Fills a TinyDB store through its own API (orders over four months, most finished: in the
month archives; a session per third order), copies it with ``db copy``, then compares:
counts, and ``orders export`` on both backends for a sample of 500 orders (whole JSON).
Starts its own PostgreSQL server (tests/pg.py). Prints the figures.

    python3 bench/db_copy.py [ORDERS]
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.cli import main  # noqa: E402
from tests import pg  # noqa: E402
from tests.chat import write_config  # noqa: E402
from tests.test_db_cli import fill_embedded, pg_config  # noqa: E402


def export(config: str) -> list[dict]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["orders", "export", "--format", "json", "--config", config]) == 0
    return json.loads(out.getvalue())


def run(count: int) -> int:
    server = pg.server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            data = tmp_path / "data"
            t0 = time.perf_counter()
            fill_embedded(data, count)
            filled = time.perf_counter() - t0
            dsn = server.create_database()
            config = pg_config(tmp_path, dsn)
            out = io.StringIO()
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(out):
                code = main(["db", "copy", "--from", str(data), "--config", config])
            copied = time.perf_counter() - t0
            print(out.getvalue().rstrip())
            t0 = time.perf_counter()
            before, after = export(str(write_config(tmp_path))), export(config)
            exported = time.perf_counter() - t0
            sample = random.Random(11).sample(range(len(before)), min(500, len(before)))
            same = sum(before[i] == after[i] for i in sample)
            print(f"\n{count} orders: filled the embedded store in {filled:.1f} s, "
                  f"db copy (with its own check) {copied:.1f} s ({count / copied:,.0f} "
                  f"orders/s), both exports {exported:.1f} s")
            print(f"counts: export {len(before)} embedded, {len(after)} postgres; "
                  f"sample of {len(sample)} orders identical in the export: {same}")
            ok = code == 0 and len(before) == len(after) == count and same == len(sample)
            print("OK" if ok else "MISMATCH")
            return 0 if ok else 1
    finally:
        pg.stop_server()


if __name__ == "__main__":
    raise SystemExit(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
