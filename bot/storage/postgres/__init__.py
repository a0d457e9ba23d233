"""The PostgreSQL backend: sessions, orders, the outbox, timers and the webhook inbox in
one database shared by every worker (``storage.backend: postgres``)."""

from bot.storage.postgres.store import PostgresStore, SchemaBehind

__all__ = ["PostgresStore", "SchemaBehind"]
