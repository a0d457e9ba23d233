"""Durable timers (bot/engine/timers.py): set from an action's context, fired once by
`App.run_timers` at the app's clock, across a restart, whoever runs the timers.

The clock is injected (the engine's ``clock``); the store is the embedded TinyDB store
in a folder that outlives each App, as a restarted bot finds it; the timer's reply goes
to a console user and is read from the console adapter's output.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.app import App
from bot.engine.context import Context
from bot.engine.session import Session
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import test_config

T0 = 1_800_000_000.0
KIND = "test.ping"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def start(folder: Path, clock: Clock, fired: list[str]) -> tuple[App, io.StringIO]:
    """A bot on ``folder`` with a timer kind that says who it pings (a restart: a new App)."""
    app = App(test_config(), store=TinyDBStore(folder))
    app.engine.clock = clock

    def ping(ctx: Context) -> None:
        assert ctx.timer is not None
        fired.append(ctx.timer.name)
        ctx.notify(ctx.timer.payload["to"], "engine.help_generic", hint="ping")

    app.engine.registry.timer(KIND)(ping)
    out = io.StringIO()
    app.attach(ConsoleAdapter(app, user="someone-else", stdout=out))
    return app, out


async def set_from_an_action(app: App, name: str, due: float) -> None:
    """What an action does: ``ctx.set_timer`` inside the message's unit of work."""
    ctx = Context(app.engine, Session(key="console:warga"), now=app.engine.clock())
    async with app.store.unit(ctx.key):
        ctx.set_timer(name, KIND, due, {"to": "console:warga"})
        await app.store.flush()


async def test_a_timer_fires_once_at_its_time_across_a_restart(tmp_path: Path) -> None:
    folder, clock, fired = tmp_path / "data", Clock(T0), []
    app, _ = start(folder, clock, fired)
    try:
        await set_from_an_action(app, "ping:warga", T0 + 600)
        assert await app.run_timers() == 0  # not due yet
    finally:
        app.close()
    clock.now = T0 + 601  # the bot was down when it came due
    app, out = start(folder, clock, fired)
    try:
        assert await app.run_timers() == 1
        assert await app.run_timers() == 0  # fired once
        await app.idle()
    finally:
        app.close()
    assert fired == ["ping:warga"]
    assert out.getvalue().count("→ [") == 1  # its reply went out once
    app, _ = start(folder, clock, fired)  # and another restart does not fire it again
    try:
        clock.now = T0 + 7200
        assert await app.run_timers() == 0
    finally:
        app.close()
    assert fired == ["ping:warga"]


async def test_two_runners_at_once_fire_a_timer_once_and_a_moved_timer_fires_late(
        tmp_path: Path) -> None:
    clock, fired = Clock(T0), []
    app, _ = start(tmp_path / "data", clock, fired)
    try:
        await set_from_an_action(app, "a", T0 + 10)
        await set_from_an_action(app, "b", T0 + 10)
        await set_from_an_action(app, "b", T0 + 100)  # moved later, by name
        clock.now = T0 + 50
        assert sorted(await asyncio.gather(app.run_timers(), app.run_timers())) == [0, 1]
        assert fired == ["a"]
        clock.now = T0 + 100
        assert await app.run_timers() == 1
        assert fired == ["a", "b"]
    finally:
        app.close()


async def test_a_timer_of_a_kind_nobody_handles_is_dropped_with_a_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock, fired = Clock(T0), []
    app, _ = start(tmp_path / "data", clock, fired)
    try:
        ctx = Context(app.engine, Session(key="console:warga"), now=T0)
        async with app.store.unit(ctx.key):
            ctx.set_timer("gone", "no.such.kind", T0)
            await app.store.flush()
        assert await app.run_timers() == 1
        assert await app.run_timers() == 0
    finally:
        app.close()
    assert fired == []
    assert "no handler registered" in caplog.text
