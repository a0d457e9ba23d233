"""The outbox: replies written in the unit of work that caused them, claimed by any
worker's sender with ``FOR UPDATE SKIP LOCKED``, marked sent once they went out.

Ownership: a row's owner is tagged with its worker's presence number (`tagged`; the
worker's presence lock, postgres/inbox.py's `Presence`, says it is alive). A row held by
a live worker is never claimed by another, however long that worker's backlog keeps it
waiting (a lease by time would let a second worker send it too); its own worker claims
it again once its lease ended (its sender skips what is still in its lines); a dead
worker's is claimable at once. A row given back (a failed send waiting for its retry
time, `retry`; a reply for a channel its worker does not run, `release`) loses the tag:
any worker's sender may claim it once its time came."""

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


TAG = "'^[0-9]+@'"  # a presence-tagged owner
# claimable by worker %(me)s: given back (untagged) and due; its own, whose lease ended;
# or a dead worker's (its presence lock is free), at once. A live worker's: never.
CLAIMABLE = f"""
 ((owner !~ {TAG} AND lease_until <= %(now)s)
  OR (owner ~ {TAG} AND split_part(owner, '@', 1)::bigint = %(me)s
      AND lease_until <= %(now)s)
  OR (owner ~ {TAG} AND split_part(owner, '@', 1)::bigint <> %(me)s
      AND split_part(owner, '@', 1)::bigint NOT IN (SELECT owner FROM live)))
"""
UNTAGGED = f"regexp_replace(owner, {TAG}, '')"


def claim(conn: psycopg.Connection, owner: str, now: float, lease_until: float,
          limit: int, me: int | None = None) -> list[Queued]:
    """Unsent rows ``me`` (a presence number) may claim (`CLAIMABLE`; without ``me``:
    those whose lease ended), oldest first, now ``owner``'s until ``lease_until``."""
    from bot.storage.postgres.inbox import LIVE, PRESENCE

    which = CLAIMABLE if me is not None else "lease_until <= %(now)s"
    rows = conn.execute(
        ("WITH" + LIVE if me is not None else "") +
        "UPDATE outbox SET owner = %(owner)s, lease_until = %(until)s WHERE id IN ("
        " SELECT id FROM outbox WHERE sent_at IS NULL AND " + which +
        " ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
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
    """A failed send: given back (untagged) with its retry time."""
    conn.execute(f"UPDATE outbox SET attempts = attempts + 1, lease_until = %s, error = %s, "
                 f"owner = {UNTAGGED} WHERE id = %s AND sent_at IS NULL",
                 (float(at), error[:500], int(item_id)))


def release(conn: Executes, ids: Iterable[int], at: float) -> None:
    """Given back unsent, no attempt counted: claimable by any worker from ``at``."""
    wanted = [int(i) for i in ids]
    if wanted:
        conn.execute(f"UPDATE outbox SET lease_until = %s, owner = {UNTAGGED} "
                     "WHERE id = ANY(%s) AND sent_at IS NULL", (float(at), wanted))


def waiting(conn: psycopg.Connection) -> tuple[int, float | None]:
    """How many replies are not sent, and when the oldest of them was queued."""
    row = conn.execute("SELECT count(*), min(queued_at) FROM outbox WHERE sent_at IS NULL"
                       ).fetchone()
    if row is None:
        return 0, None
    return int(row[0]), (float(row[1]) if row[1] is not None else None)
