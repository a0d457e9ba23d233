"""What actions, conditions, option sources and input kinds get to work with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.engine.session import Session
from bot.messages import Incoming, Reply, Text
from bot.storage.base import Timer

if TYPE_CHECKING:
    from bot.engine.runtime import Engine


class ActionFailed(Exception):
    """Raised by an action: the user is told ``message_id`` and the state does not change."""

    def __init__(self, message_id: str, /, **params: Any) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params


@dataclass
class Context:
    engine: Engine
    session: Session
    incoming: Incoming | None = None
    replies: list[Reply] = field(default_factory=list)
    now: float = 0.0
    # display values actions compute for this message's texts; never stored
    view: dict[str, Any] = field(default_factory=dict)
    timer: Timer | None = None  # the timer being fired (a timer handler's context)

    @property
    def key(self) -> str:
        return self.session.key

    @property
    def slots(self) -> dict[str, Any]:
        return self.session.slots

    @property
    def lang(self) -> str:
        return self.engine.i18n.resolve(self.session.lang)

    @property
    def services(self) -> Any:
        """Whatever the app handed the engine (stores, markets, catalogs...)."""
        return self.engine.services

    @property
    def store(self) -> Any:
        return self.engine.store

    def t(self, message_id: str, /, **params: Any) -> str:
        return self.engine.i18n.t(self.lang, message_id, **params)

    def say(self, message_id: str, /, **params: Any) -> None:
        self.replies.append(Text(to=self.key, text=self.t(message_id, **params)))

    def send(self, reply: Reply) -> None:
        self.replies.append(reply)

    def notify(self, user: str, message_id: str, /, **params: Any) -> None:
        """A message to another user, in that user's language."""
        lang = self.engine.language_of(user)
        self.replies.append(Text(to=user, text=self.engine.i18n.t(lang, message_id, **params)))

    def set_timer(self, name: str, kind: str, due: float,
                  payload: dict[str, Any] | None = None) -> None:
        """Set (or move, by name) a durable timer, in this message's unit of work: it is
        durable with the session change (bot/engine/timers.py)."""
        self.engine.store.set_timer(Timer(name, kind, float(due), dict(payload or {})))

    def cancel_timer(self, name: str) -> None:
        """Drop the timer of that name, if set (in this message's unit of work)."""
        self.engine.store.cancel_timer(name)
