"""Residents placing orders through the engine until killed; run by tests/durability.

    python3 tests/durability/helpers/place_orders.py DATA_DIR

Imports the bot once, then reads commands on stdin, one per line:

    go RUN     fork a worker: it opens the TinyDB store in DATA_DIR, builds the App on it
               and has residents ``rRUN-0``, ``rRUN-1``, ... (CONCURRENT at a time) place
               whole orders through ``app.engine.handle`` until it is killed. First it
               resumes the residents of run RUN-1 the bot left mid-order.
    quit       exit

and writes, one line each (every line is one ``write`` to the pipe, so never torn):

    started RUN PID            the worker is forked (kill PID to crash it)
    ready RUN                  its store is open and its App built: residents start now
    order CODE USER            a confirmation reply was returned to USER: the emitted order
    ended RUN PID STATUS       the worker is gone (STATUS as from os.waitpid)
    error RUN TEXT             the worker hit an exception (it then exits)

Forking from a process that has already imported everything makes a restart cost a few
milliseconds instead of a Python start-up, so a test can crash and restart it 100 times.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository

from bot.app import App
from bot.storage.tinydb_store import TinyDBStore
from tests.chat import test_config
from tests.durability.helpers.residents import (
    LAST,
    incoming,
    order_code,
    plan,
    resume_step,
)

CONCURRENT = 8  # residents chatting at once in a worker
RESUME_PROBE = 64  # ids of the previous run looked at past the last one found


def emit(line: str) -> None:
    os.write(1, f"{line}\n".encode())  # one write: atomic on a pipe, nothing buffered


async def chat(app: App, user: str, first: int, ids: itertools.count, run: int) -> None:
    p = plan(app, user)
    for step in range(first, LAST + 1):
        replies = await app.engine.handle(incoming(p, step, f"{run}.{next(ids)}"))
        app.sent(replies)  # taken by this helper as sent (nothing waits in the outbox)
        if step == LAST:
            code = order_code(replies)
            if code is None:
                raise AssertionError(f"{user}: no order code in {replies}")
            emit(f"order {code} {user}")  # the reply came back: the order is confirmed


def unfinished(app: App, run: int) -> list[tuple[str, int]]:
    """Residents of the previous run the bot kept mid-order, and the step to go on with."""
    found, misses = [], 0
    for n in itertools.count():
        user = f"r{run - 1}-{n}"
        session = app.store.get_session(incoming(plan(app, user), 0).key)
        misses = 0 if session else misses + 1
        if misses > RESUME_PROBE:
            return found
        step = resume_step(session)
        if step is not None:
            found.append((user, step))
    return found


async def work(data_dir: str, run: int) -> None:
    config = test_config()
    config["storage"] = {"backend": "tinydb", "path": data_dir}
    app = App(config, store=TinyDBStore(data_dir))
    emit(f"ready {run}")
    ids = itertools.count()  # message ids: "RUN.N", never the same twice
    queue = [(user, step) for user, step in unfinished(app, run)]
    fresh = (f"r{run}-{n}" for n in itertools.count())

    async def resident_loop() -> None:
        while True:
            user, step = queue.pop() if queue else (next(fresh), 0)
            await chat(app, user, step, ids, run)

    await asyncio.gather(*(resident_loop() for _ in range(CONCURRENT)))


def worker(data_dir: str, run: int) -> None:
    try:
        asyncio.run(work(data_dir, run))
    except BaseException:
        text = traceback.format_exc().replace("\n", " | ")
        emit(f"error {run} {text}")
        os._exit(1)
    os._exit(0)


def main() -> None:
    data_dir = sys.argv[1]
    for line in sys.stdin:
        command = line.split()
        if command == ["quit"]:
            return
        if len(command) != 2 or command[0] != "go":
            emit(f"error - unknown command {line.strip()!r}")
            continue
        run = int(command[1])
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            worker(data_dir, run)
        emit(f"started {run} {pid}")
        _, status = os.waitpid(pid, 0)
        emit(f"ended {run} {pid} {status}")


if __name__ == "__main__":
    main()
