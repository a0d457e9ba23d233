"""A short kill -9 soak over both webhooks (the full one: bench/soak_webhooks.py).

Two residents (one on Telegram's webhook, one on WhatsApp's) order in parallel while a
real `main.py serve` is killed with SIGKILL twice at random moments and started again:
every message answered 200 is handled, none twice, every confirmed order is stored once
with what its resident typed, no code is confirmed twice, and the final SIGTERM exits 0
with the inboxes empty. ``PASAR_SOAK_SEED`` replays a run.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.soak_webhooks import soak


async def test_kill_9_on_both_webhooks_loses_and_repeats_nothing_answered_200(
        tmp_path: Path) -> None:
    seed_text = os.environ.get("PASAR_SOAK_SEED")
    result = await soak(kills=2, residents=2, seed=int(seed_text) if seed_text else None,
                        folder=tmp_path, delay=(0.3, 1.0), nudge_after=2.0, quiet=0.1)
    assert result["problems"] == [], f"{result['problems']} (seed {result['seed']})"
    assert result["kills"] == 2
    # each resident ends the round it is in after the last restart: orders were placed
    assert result["orders stored"] >= 2
