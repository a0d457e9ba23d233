"""Typed commands about orders, and the input kinds that understand them.

A notification tells a coordinator "ketik *ambil KRB-1127-001*" and carries a button whose
id is ``claim:KRB-1127-001``; a resident is told "ketik *komplain KRB-1127-001*". Both must
be understood wherever the person is: at the main menu, in the coordinator's menus, or with
no conversation going on (then the flow that starts reads the message that started it).

- `read_command`: what a message asks, as a `Command` (verb and order code), or None.
- `CommandKind` (``coord_command``): a choice whose options may carry an order code
  (``view:KRB-1127-001``) and which also takes "ambil KRB-1127-001"; the code goes to the
  ``code`` slot and the verb is the answer, so `on:` in a flow maps verbs.
- `MenuKind` (``menu``): the main menu's choice, which also takes typed commands and sends
  each to the flow that handles it (refusing, and logging, staff commands from others).
- `YesNoKind` (``yes_no``): a two-option choice that also takes ya/tidak and their kin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.engine.commands import parse_command
from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, Invalid, Result, answer_text
from bot.engine.inputs.choice import ChoiceKind
from bot.engine.matching import normalize
from bot.messages import Incoming
from bot.ordering.domain.codes import CODE, PATTERN

_TYPED = re.compile(rf"^(?:([a-z]+)\s+)?({PATTERN})$")  # on lowered text
VERBS = {
    "ambil": "claim", "klaim": "claim", "claim": "claim", "take": "claim",
    "lihat": "view", "cek": "view", "detail": "view", "kode": "view", "pesanan": "view",
    "view": "view", "show": "view",
    "batal": "cancel", "batalkan": "cancel", "cancel": "cancel",
    "komplain": "report", "lapor": "report", "laporkan": "report", "tukar": "report",
    "masalah": "report", "complain": "report", "report": "report",
    "serahkan": "assign", "assign": "assign",
    "setuju": "subok", "subok": "subok", "tolak": "subno", "subno": "subno",
    # a message on the order's conversation (bot/ordering/chat/thread.py)
    "tanya": "talk", "balas": "talk", "chat": "talk", "talk": "talk", "reply": "talk",
}
WORDS = {
    "rekap": "recap", "recap": "recap", "laporan": "recap",
    "link": "link", "tautan": "link",
    "koordinator": "staff", "coordinator": "staff", "koord": "staff",
    "masuk": "login", "login": "login",  # staff: a link to the office's pages (sign_in.py)
    # heads of unit and the market office: to a market's residents (announcements.py)
    "umumkan": "announce", "pengumuman": "announce", "announce": "announce",
}
STAFF_VERBS = frozenset({"claim", "recap", "staff", "assign", "announce"})
MAX_COMMAND = 60


@dataclass(frozen=True)
class Command:
    verb: str
    code: str | None = None


def read_command(msg: Incoming | None) -> Command | None:
    """``ambil KRB-1127-001``, ``KRB-1127-001``, a ``claim:KRB-1127-001`` button, ``rekap``."""
    if msg is None:
        return None
    if msg.choice is not None:
        if not is_order_option(msg.choice):
            return None
        verb, _, code = msg.choice.partition(":")
        return Command(verb, code.upper())
    text = answer_text(msg)
    if not text or len(text) > MAX_COMMAND:
        return None
    lowered = " ".join(text.lower().lstrip("/").rstrip("!.?").split())
    typed = _TYPED.match(lowered)
    if typed:
        return Command(VERBS.get(typed.group(1) or "lihat", "view"), typed.group(2).upper())
    word = normalize(lowered)
    return Command(WORDS[word]) if word in WORDS else None


def is_order_option(option_id: str) -> bool:
    """``claim:KRB-1127-001``: an action and an order code, which mean the same wherever
    they are pressed (the engine's standing options; bot/engine/presses.py)."""
    verb, _, code = option_id.partition(":")
    return verb in VERBS.values() and CODE.fullmatch(code) is not None


def split_answer(ctx: Context, value: Any) -> Any:
    """``view:KRB-1127-001`` -> ``view`` with the code kept in the ``code`` slot."""
    if isinstance(value, str) and ":" in value:
        verb, _, code = value.partition(":")
        ctx.slots["code"] = code
        return verb
    return value


class CommandKind(ChoiceKind):
    """A menu about orders: its options, or a typed/pressed command naming an order.

    ``verbs`` lists the verbs the state's `on:` handles (default claim and view); any
    other verb with a code means view."""

    name = "coord_command"

    def check(self, spec: InputSpec) -> list[str]:
        verbs = spec.params.get("verbs", [])
        known = {*VERBS.values(), "recap", "login", "announce"}
        if not isinstance(verbs, list) or not set(verbs) <= known:
            return [f"'verbs' must be a list drawn from {', '.join(sorted(known))}"]
        return []

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        command = read_command(msg)
        verbs = spec.params.get("verbs") or ["claim", "view"]
        taken = parse_command(answer_text(msg)) if msg.choice is None else None
        if taken is not None and taken.name in (spec.params.get("takes") or ()):
            return Accept(taken.name)  # a global word the question takes (``batal``)
        if command is not None and command.code:
            ctx.slots["code"] = command.code
            return Accept(command.verb if command.verb in verbs else "view")
        if command is not None and command.verb in verbs:
            return Accept(command.verb)
        if command is not None and command.verb == "login":  # the office's link: at home
            return Invalid("office.sign_in_at_home")
        result = super().parse(ctx, spec, msg, value)
        if isinstance(result, Accept):
            return Accept(split_answer(ctx, result.value))
        replies = spec.params.get("replies")  # a condition: words that answer someone
        if isinstance(result, Invalid) and replies and ctx.engine.registry.conditions[
                str(replies)](ctx):
            return Accept("reply")
        return result


class MenuKind(ChoiceKind):
    """The main menu. Besides its options it takes, from whoever may use them:
    ``link`` (anyone), an order code with or without a verb (its owner, or staff),
    ``rekap``/``ambil KODE``/``koordinator`` (staff; from anyone else: refused and logged)."""

    name = "menu"

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        command = read_command(msg)
        if command is not None:
            where = route(ctx, command)
            if where is not None:
                return Accept(where)
            if command.verb in STAFF_VERBS or command.code:
                return Invalid(refusal(ctx, command), {"code": command.code or ""})
        result = super().parse(ctx, spec, msg, value)
        replies = spec.params.get("replies")  # a condition: words that answer someone
        if isinstance(result, Invalid) and replies and ctx.engine.registry.conditions[
                str(replies)](ctx):
            return Accept("reply")
        return result


def route(ctx: Context, command: Command) -> str | None:
    """Where a command from this user goes: link, staff, mine; None if nowhere."""
    roles = ctx.services.roles
    if command.verb == "link":
        return "link"
    if command.verb == "login":  # staff only; anyone else gets the menu as for any word
        return "login" if roles.is_staff(ctx.key) else None
    if roles.is_staff(ctx.key) and (command.verb in STAFF_VERBS or command.code):
        return "staff"
    if command.code and command.verb != "claim":
        from bot.ordering.chat.changes import orders  # the chat layer's, at call time

        order = orders(ctx).get(command.code)
        if order is not None and order.user == ctx.key:
            return "mine"
    return None


def refusal(ctx: Context, command: Command) -> str:
    """Log a command this user may not give; the message id that says so."""
    roles = ctx.services.roles
    roles.refused(ctx.key, command.verb, command.code or "")
    return "coord.staff_only" if command.verb in STAFF_VERBS else "status.no_such_order"


class YesNoKind(ChoiceKind):
    """Two options, ``yes`` and ``no``, that also take ya / iya / tidak / gak ... (the
    intents ``yes`` and ``no`` of locales/<lang>/intents.yaml, as every menu does)."""

    name = "yes_no"
