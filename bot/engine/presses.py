"""Pressed options: an answer to the current question, an option that stands on its own,
or a press on a menu the conversation has moved past. The rule lives here, for every
messenger; adapters carry a menu's prompt out and back, and may ask `judge` how to show a
press (Telegram marks an answered menu with the choice), never decide it themselves.

Every message the engine handles is a turn of its conversation (`Session.turn`). Each menu
that asks the user something carries the turn it was shown in (`Menu.prompt`), and an
adapter gives it back with the press (`Incoming.prompt`). Then:

- An option that stands on its own (the app says which: ``claim:KRB-1127-001`` on a
  new-order notice, ``report:KRB-1127-001`` on a delivery notice) counts from any state,
  however old the message it is on: the entry flow starts as for a first message that asks
  for it, and the action checks that it is still possible (an order claimed meanwhile gets
  "already claimed"). The place the user left is kept for ``kembali``. On the current menu
  such an option is simply an answer.
- Any other option counts only on the menu of the latest turn. Pressing "ya" twice on an
  order summary, or an option of a menu the conversation has moved past, is refused and
  the current question is asked again: it is never taken as the answer to another question.
- A choice without a prompt (typed into the terminal, or on a message sent before menus
  had prompts) is read as an answer to the current question, as typed text is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING

from bot.engine.session import Session
from bot.messages import Incoming, Menu, Reply

if TYPE_CHECKING:
    from bot.engine.runtime import Engine


class Press(Enum):
    ANSWER = "answer"  # an answer to the current question: the state's input kind reads it
    STANDING = "standing"  # an option with its own meaning, pressed away from its menu
    STALE = "stale"  # an option of a menu the conversation has moved past


def classify(session: Session, msg: Incoming, standing: Callable[[str], bool]) -> Press | None:
    """What a pressed option is; None for a message that is not a press."""
    if msg.choice is None:
        return None
    current = msg.prompt is None or msg.prompt == str(session.turn)
    if standing(msg.choice) and not (current and msg.choice in session.shown):
        return Press.STANDING
    return Press.ANSWER if current else Press.STALE


def judge(engine: Engine, msg: Incoming) -> Press | None:
    """What a press is for its conversation as it stands, for an adapter to show it (a
    question's menu marked with the choice, or left as it was when the press does not
    count); handling the press applies the same rule. Call it where the conversation's
    messages are taken one at a time (an adapter's per-chat order)."""
    session = Session.from_record(msg.key, engine.store.get_session(msg.key))
    return classify(session, msg, engine.registry.standing)


def stamp(replies: list[Reply], key: str, turn: int) -> list[Reply]:
    """The menus of this turn that ask ``key`` something, named for the turn."""
    return [
        replace(r, prompt=str(turn)) if isinstance(r, Menu) and r.to == key and r.options
        else r
        for r in replies
    ]
