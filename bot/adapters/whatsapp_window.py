"""The 24-hour window: WhatsApp delivers free-form messages only within 24 hours of the
user's last message (error 131047 otherwise). A user found outside it is recorded, and
what we would have sent them waits until they write again.

The record is a small session-like document under its own key (``whatsapp.window:<user>``)
in the store, so it survives a restart and idles out with other sessions. It holds neutral
replies (text and options), never platform JSON.
"""

from __future__ import annotations

from typing import Any

from bot.messages import AskContact, AskLocation, Menu, Option, Photo, Reply, Text
from bot.storage.base import Store

KEY_PREFIX = "whatsapp.window:"
WINDOW = 24 * 3600 - 300  # seconds after a user's last message (a little margin kept)
MAX_HELD = 50  # per user; older notifications give way to newer ones

_KINDS: dict[str, type[Reply]] = {
    "text": Text, "menu": Menu, "location": AskLocation, "contact": AskContact, "photo": Photo,
}


def reply_record(reply: Reply) -> dict[str, Any]:
    kind = next((k for k, cls in _KINDS.items() if type(reply) is cls), "text")
    record: dict[str, Any] = {"kind": kind, "text": reply.text}
    if isinstance(reply, Menu):
        record["options"] = [[o.id, o.label, o.description] for o in reply.options]
    if isinstance(reply, Menu | AskLocation | AskContact) and reply.button:
        record["button"] = reply.button
    if isinstance(reply, Photo):
        record["media"] = reply.media
    return record


def reply_from_record(record: dict[str, Any], to: str) -> Reply:
    cls = _KINDS.get(record.get("kind", "text"), Text)
    text = str(record.get("text", ""))
    if cls is Menu:
        options = tuple(Option(*map(str, o)) for o in record.get("options", []))
        return Menu(to=to, text=text, options=options, button=record.get("button", ""))
    if cls is AskLocation:
        return AskLocation(to=to, text=text, button=record.get("button", ""))
    if cls is AskContact:
        return AskContact(to=to, text=text, button=record.get("button", ""))
    if cls is Photo:
        return Photo(to=to, text=text, media=str(record.get("media", "")))
    return Text(to=to, text=text)


class WindowBook:
    """Who is outside the window, and the replies held for them (cached in memory)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, dict[str, Any] | None] = {}

    def _record(self, user: str) -> dict[str, Any] | None:
        if user not in self._cache:
            self._cache[user] = self.store.get_session(KEY_PREFIX + user)
        return self._cache[user]

    def _put(self, user: str, record: dict[str, Any] | None) -> None:
        self._cache[user] = record
        if record is None:
            self.store.delete_session(KEY_PREFIX + user)
        else:
            self.store.put_session(KEY_PREFIX + user, record)

    def is_closed(self, user: str) -> bool:
        return self._record(user) is not None

    def held(self, user: str) -> list[dict[str, Any]]:
        record = self._record(user)
        return list(record.get("held", [])) if record else []

    def close(self, user: str, now: float) -> None:
        """The user is outside the window (a send failed with 131047)."""
        if self._record(user) is None:
            self._put(user, {"closed_at": now, "held": [], "nudged": False, "updated_at": now})

    def hold(self, user: str, reply: Reply, now: float) -> bool:
        """Keep ``reply`` until the user writes; True when a template nudge is due."""
        record = dict(self._record(user) or {"closed_at": now, "held": [], "nudged": False})
        record["held"] = [*record.get("held", []), reply_record(reply)][-MAX_HELD:]
        nudge = not record.get("nudged")
        record["nudged"] = True
        record["updated_at"] = now
        self._put(user, record)
        return nudge

    def reopen(self, user: str) -> list[Reply]:
        """The user wrote: the window is open again; the held replies, oldest first."""
        record = self._record(user)
        if record is None:
            return []
        self._put(user, None)
        return [reply_from_record(r, f"whatsapp:{user}") for r in record.get("held", [])]
