"""PostgreSQL units PREPARE their statements once per connection (connection.py). psycopg
prepares statements of its own too (a query run 5 times, the unit's lock try) and, after
any ROLLBACK on that connection, drops every prepared statement (DEALLOCATE ALL): ours
went with them while the unit still named them, and each message then failed. The pool's
connections prepare nothing of psycopg's own."""

from __future__ import annotations

import contextlib

from bot.storage.postgres import PostgresStore

KEY = "whatsapp:6281300000009"


async def test_units_keep_their_prepared_statements_after_rollbacks(pg_dsn: str) -> None:
    with PostgresStore(pg_dsn, pool_size=1) as store:  # one connection: every unit on it
        for n in range(12):
            with contextlib.suppress(RuntimeError):
                async with store.unit(KEY):
                    assert not store.seen_message("whatsapp", f"m{n}")
                    store.put_session(KEY, {"updated_at": 1.0, "n": n})
                    assert not store.seen_message("whatsapp", f"x{n}")  # opens a transaction
                    if n % 2:
                        raise RuntimeError("rolled back")  # the unit's ROLLBACK
                    await store.flush()
