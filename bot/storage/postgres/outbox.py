"""The outbox: replies written in the unit of work that caused them, claimed by any
worker's sender with ``FOR UPDATE SKIP LOCKED`` (two senders never get the same row while
its lease runs), marked sent once they went out."""

from __future__ import annotations

import time
from collections.abc import Iterable

import psycopg
from psycopg.types.json import Jsonb

from bot.storage.base import Queued, Record
from bot.storage.postgres.connection import Executes


def queue(conn: psycopg.Connection, replies: list[Record], owner: str,
          lease_until: float) -> list[int]:
    """Add ``replies`` in one statement (one round trip however many); their ids, in the
    order of ``replies`` (ids are taken row by row, in that order)."""
    if not replies:
        return []
    recipients = [str(reply["to"]) for reply in replies]  # KeyError: a reply to nobody
    rows = conn.execute(
        'INSERT INTO outbox ("to", reply, owner, lease_until) '
        "SELECT t, r, %s, %s FROM unnest(%s::text[], %s::jsonb[]) WITH ORDINALITY "
        "AS q(t, r, n) ORDER BY n RETURNING id",
        (owner, float(lease_until), recipients, [Jsonb(reply) for reply in replies])
    ).fetchall()
    return sorted(int(row[0]) for row in rows)


def tagged(presence: int, owner: str) -> str:
    """``owner`` with the presence number of its worker (postgres/inbox.py's `Presence`)."""
    return f"{presence}@{owner}"


# a row never tried whose owner's presence lock is gone (the worker died): claimable at
# once; a failed send's row keeps its retry time (lease_until) whoever owned it
DEAD_OWNER = """
 OR (attempts = 0 AND owner ~ '^[0-9]+@' AND split_part(owner, '@', 1)::bigint <> %(me)s
     AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
                     AND l.classid::bigint = %(cls)s AND l.objsubid = 2
                     AND l.objid::bigint = split_part(outbox.owner, '@', 1)::bigint))
"""


def claim(conn: psycopg.Connection, owner: str, now: float, lease_until: float,
          limit: int, me: int | None = None) -> list[Queued]:
    """Unsent rows whose lease ended (or, given ``me``, whose worker is gone), oldest
    first, now ``owner``'s until ``lease_until``."""
    from bot.storage.postgres.inbox import PRESENCE

    rows = conn.execute(
        "UPDATE outbox SET owner = %(owner)s, lease_until = %(until)s WHERE id IN ("
        " SELECT id FROM outbox WHERE sent_at IS NULL AND (lease_until <= %(now)s"
        + (DEAD_OWNER if me is not None else "") +
        ") ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
        ' RETURNING id, "to", reply, attempts',
        {"owner": owner, "until": float(lease_until), "now": float(now), "limit": int(limit),
         "me": me, "cls": PRESENCE}).fetchall()
    return sorted((Queued(int(i), to, reply, int(attempts)) for i, to, reply, attempts in rows),
                  key=lambda q: q.id)


def mark_sent(conn: Executes, ids: Iterable[int]) -> None:
    wanted = [int(i) for i in ids]
    if wanted:
        conn.execute("UPDATE outbox SET sent_at = %s WHERE id = ANY(%s) AND sent_at IS NULL",
                     (time.time(), wanted))


def retry(conn: Executes, item_id: int, at: float, error: str) -> None:
    conn.execute("UPDATE outbox SET attempts = attempts + 1, lease_until = %s, error = %s "
                 "WHERE id = %s AND sent_at IS NULL", (float(at), error[:500], int(item_id)))


def waiting(conn: psycopg.Connection) -> tuple[int, float | None]:
    """How many replies are not sent, and when the oldest of them was queued."""
    row = conn.execute("SELECT count(*), min(queued_at) FROM outbox WHERE sent_at IS NULL"
                       ).fetchone()
    if row is None:
        return 0, None
    return int(row[0]), (float(row[1]) if row[1] is not None else None)
