"""200 residents ordering at once on one app over TinyDB files.

Each resident's messages go in order; different residents interleave at random. Half of
them type like people (each message after the bot's answer); the other half send their
whole conversation in a burst without waiting, as a webhook delivering a backlog would,
so only the engine's per-conversation lock keeps their messages in order. The actions
the order flow runs are made to await a little, as an action doing I/O would, so a
message handled before the previous one of the same resident saved its session would
work on a stale session. Every reply
must answer the step it was sent for, every resident must end with exactly the order it
typed, durable after a restart, and group commit must have written many messages per
round.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

from bot.app import App
from bot.messages import Reply
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import test_config as bot_config
from tests.durability.helpers.residents import (
    LAST,
    Plan,
    expect,
    incoming,
    order_code,
    order_problems,
    plan,
)

RESIDENTS = 200
SLOW_ACTIONS = ("describe_markets", "note_market", "build_summary", "place_order")


def actions_await(app: App, rng: random.Random) -> None:
    """Each of SLOW_ACTIONS first awaits up to 3 ms (its answer is unchanged)."""
    actions = app.engine.registry.actions
    for name in SLOW_ACTIONS:

        async def after_a_while(ctx: Any, action: Any = actions[name]) -> Any:
            await asyncio.sleep(rng.random() * 0.003)
            return action(ctx)

        actions[name] = after_a_while


async def patient(app: App, p: Plan, rng: random.Random) -> list[list[Reply]]:
    """Waits for each answer (and a little more) before the next message."""
    answers = []
    for step in range(LAST + 1):
        await asyncio.sleep(rng.random() * 0.002)
        answers.append(await app.engine.handle(incoming(p, step, f"{p.user}.{step}")))
    return answers


async def burst(app: App, p: Plan, rng: random.Random) -> list[list[Reply]]:
    """Sends every message without waiting for answers (they arrive in this order)."""
    sent = []
    for step in range(LAST + 1):
        sent.append(asyncio.create_task(app.engine.handle(incoming(p, step, f"{p.user}.{step}"))))
        if rng.random() < 0.5:
            await asyncio.sleep(0)  # let other residents' messages in between
    return list(await asyncio.gather(*sent))


async def test_200_residents_at_once_each_get_their_order(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    config = bot_config()
    config["storage"] = {"backend": "tinydb", "path": str(data_dir)}
    store = TinyDBStore(data_dir)
    app = App(config, store=store)
    actions_await(app, rng)
    plans = [plan(app, f"w{n}") for n in range(RESIDENTS)]
    assert len({p.market for p in plans}) > 5 and len({p.items_text for p in plans}) > 100

    async def resident(p: Plan) -> list[list[Reply]]:
        await asyncio.sleep(rng.random() * 0.01)
        return await (patient if rng.random() < 0.5 else burst)(app, p, rng)

    try:
        answers = await asyncio.gather(*(resident(p) for p in plans))
        messages = RESIDENTS * (LAST + 1)
        rounds = store.stats["rounds"]
        codes = {}
        for p, replies in zip(plans, answers, strict=True):
            assert len(replies) == LAST + 1
            for step, got in enumerate(replies):
                wrong = expect(app, p, step, got)
                assert wrong is None, f"{p.user} step {step} ({p.message(step)!r}): {wrong}"
            codes[p.user] = order_code(replies[LAST])
        assert len(set(codes.values())) == RESIDENTS, "two residents got the same code"
        assert rounds < messages, f"group commit did not group: {rounds} rounds"
    finally:
        store.close()

    with TinyDBStore(data_dir) as reopened:
        assert reopened.problems() == []
        for p in plans:
            mine = reopened.query_orders(user=p.key)
            assert [o["code"] for o in mine] == [codes[p.user]], p.user
            assert order_problems(mine[0], p) == [], p.user
        assert len(reopened.query_orders()) == RESIDENTS
    print(f"\n{RESIDENTS} residents, {messages} messages, {rounds} write rounds (seed {seed})")
