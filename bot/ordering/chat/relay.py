"""Carrying a message of an order's conversation from one side to the other.

The resident writes to "the coordinator holding the order", the coordinator to "the
resident of the order": the bot relays each message labelled with the order code and the
writer's role (and the name the other side already sees on the order's card), never a
phone number: numbers that look like phones are hidden from the text, and the label never
falls back to a user key (on WhatsApp that is the number).

A message that cannot go now waits, stored with the order (`ThreadMessage.delivered_at`
is None), and the writer is told why:
- nobody holds the order yet: it goes to the coordinator who claims it (`after_change`);
- the recipient is away: they never wrote to the bot (or their conversation expired), or
  their messenger does not let the bot write now (WhatsApp's 24-hour window, asked of the
  adapter through the services' ``away``). A small record under ``thread.waiting:<user>``
  in the session store lists the orders with messages waiting for them, and the first
  thing done with their next message is to deliver those (`deliver_on_arrival`, an
  arrival hook of the engine).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from bot.engine.context import Context
from bot.engine.inputs.phone import normalize_phone
from bot.messages import Menu, Option, Photo, Reply, Text, split_key
from bot.ordering.chat.changes import lifecycle, now, orders
from bot.ordering.chat.notify import reachable
from bot.ordering.domain.lifecycle import Fired
from bot.ordering.domain.order import Order
from bot.ordering.domain.orders import status_label
from bot.ordering.domain.thread import (
    COORDINATOR,
    RESIDENT,
    ThreadMessage,
    added,
    is_open,
    waiting_for,
)
from bot.privacy import PHONE
from bot.storage.base import VersionConflict

log = logging.getLogger(__name__)

WAITING = "thread.waiting:"  # + user key: the orders with messages waiting for that user
RECENT = "thread.recent:"  # + a user key: orders whose other side wrote them lately, when
RECENT_HOURS = 6  # a plain reply within this long goes to that order's coordinator
MAX_TRIES = 5
TALK = "talk"  # the verb of the reply button (``talk:KRB-1127-001``)
_MOBILE = re.compile(PHONE)  # an Indonesian mobile number, however it is spaced
_NUMBERISH = re.compile(r"(?<![\w+])\+?\d[\d\s.\-()]{5,}\d(?!\d)")


# -- who is who on an order ----------------------------------------------------------
def role_of(order: Order, user: str) -> str | None:
    if user == order.user:
        return RESIDENT
    if order.coordinator and user == order.coordinator:
        return COORDINATOR
    return None


def thread_open(ctx: Context, order: Order) -> bool:
    return is_open(order.status, lifecycle(ctx).statuses.finished)


def away(ctx: Context, user: str) -> bool:
    """The bot cannot write to ``user`` now: they never wrote to it (or their conversation
    expired), or their messenger's rule says so (the services' ``away``, from the adapter)."""
    return not reachable(ctx, [user]) or held_back(ctx, user)


def held_back(ctx: Context, user: str) -> bool:
    """``user``'s messenger holds what the bot sends them until they write (WhatsApp's
    24-hour window, as the adapter says through the services' ``away``)."""
    check = getattr(ctx.services, "away", None)
    return bool(check(user)) if check is not None else False


# -- no phone numbers across -----------------------------------------------------------
def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def known_phones(ctx: Context, order: Order, user: str) -> list[str]:
    """The numbers the bot knows of ``user``: their WhatsApp number (the key), the phone
    their messenger vouched for, and the order's phone when they are its resident."""
    found = [split_key(user)[1]]
    record = ctx.store.get_session(user) or {}
    profile = record.get("profile") if isinstance(record.get("profile"), dict) else {}
    found.append(str(profile.get("phone") or ""))
    if user == order.user:
        found.append(order.resident.phone or "")
    return [d for d in (_digits(p) for p in found) if len(d) >= 7]


def _is_phone(span: str, known: list[str]) -> bool:
    digits = _digits(span)
    if any(k in digits for k in known):
        return True
    starts = digits.startswith(("62", "8")) or (digits[:1] == "0" and digits[1:2] != "0")
    return starts and normalize_phone(span) is not None


def _hide_in(candidate: str, known: list[str]) -> str | None:
    """``candidate`` (digits and separators) with the phone numbers in it hidden, trying
    the longest span of its digit groups from each group on; None if it holds none."""
    groups = list(re.finditer(r"\+?\d+", candidate))
    out, at, i, found = [], 0, 0, False
    while i < len(groups):
        for j in range(len(groups) - 1, i - 1, -1):
            span = candidate[groups[i].start():groups[j].end()]
            if _is_phone(span, known):
                out += [candidate[at:groups[i].start()], "[…]"]
                at, i, found = groups[j].end(), j, True
                break
        i += 1
    return "".join([*out, candidate[at:]]) if found else None


def hide_phones(text: str, known: Iterable[str] = ()) -> tuple[str, bool]:
    """``text`` with every phone-like number (and any of ``known``'s digits) replaced by
    ``[…]``; whether anything was. Prices and quantities stay ("Rp15.000", "2 kg")."""
    national = [k[-9:] for k in known if len(k) >= 7]  # however it was written
    hidden = False

    def mobile(match: re.Match[str]) -> str:
        nonlocal hidden
        hidden = True
        return "[…]"

    def other(match: re.Match[str]) -> str:
        nonlocal hidden
        replaced = _hide_in(match.group(), national)
        if replaced is None:
            return match.group()
        hidden = True
        return replaced

    text = _MOBILE.sub(mobile, text)
    return _NUMBERISH.sub(other, text), hidden


# -- what the other side sees ----------------------------------------------------------
def _writer(ctx: Context, order: Order, role: str, lang: str) -> str:
    """``Koordinator (Pak Budi)``: the role, and the name the card already shows."""
    i18n = ctx.engine.i18n
    if role == COORDINATOR:
        name = _staff_name(ctx, order.coordinator or "")
        label = i18n.t(lang, "thread.role_coordinator")
    else:
        name = order.resident.name
        label = i18n.t(lang, "thread.role_resident")
    name, _ = hide_phones(" ".join(name.split())[:40])
    return f"{label} ({name})" if name.strip() else label


def _staff_name(ctx: Context, user: str) -> str:
    """The name the market office gave a coordinator; "" rather than their user key."""
    for market in ctx.services.markets.markets:
        name = market.staff_name(user)
        if name:
            return str(name)
    return ""


def relayed(ctx: Context, order: Order, message: ThreadMessage, to: str) -> list[Reply]:
    """``message`` as its recipient ``to`` sees it, in their language, with a reply button
    (a picture goes by its messenger's reference where both sides use the same one)."""
    i18n, lang = ctx.engine.i18n, ctx.engine.language_of(to)
    writer = _writer(ctx, order, message.role, lang)
    body = message.text or ""
    if message.photo and split_key(message.by)[0] != split_key(to)[0]:
        note = i18n.t(lang, "thread.photo_elsewhere")  # references are per messenger
        body = f"{body}\n{note}".strip()
    text = i18n.t(lang, "thread.relayed", code=order.code, writer=writer, text=body)
    button = (Option(f"{TALK}:{order.code}", i18n.t(lang, "thread.opt_reply")),)
    if message.photo and split_key(message.by)[0] == split_key(to)[0]:
        caption = i18n.t(lang, "thread.relayed_photo", code=order.code, writer=writer,
                         text=body)
        return [Photo(to=to, text=caption.strip(), media=message.photo),
                Menu(to=to, text=i18n.t(lang, "thread.reply_hint", code=order.code),
                     options=button)]
    return [Menu(to=to, text=text, options=button)]


# -- storing ---------------------------------------------------------------------------
def _write(ctx: Context, code: str, change: Any) -> Order | None:
    """Apply ``change(order) -> order | None`` to the stored order, again on a version
    conflict (a coordinator's change landed meanwhile); None if there is nothing to do."""
    for _ in range(MAX_TRIES):
        order = orders(ctx).get(code)
        if order is None:
            return None
        changed = change(order)
        if changed is None:
            return order
        try:
            return orders(ctx).update(changed)
        except VersionConflict:
            continue
    raise RuntimeError(f"order {code}: the thread could not be written")


def _wait_for(ctx: Context, user: str, code: str) -> None:
    record = ctx.store.get_session(WAITING + user) or {}
    codes = [c for c in record.get("codes", []) if c != code]
    ctx.store.put_session(WAITING + user, {"codes": [*codes, code][-50:],
                                           "updated_at": ctx.now})


def _take_waiting(ctx: Context, user: str) -> list[str]:
    record = ctx.store.get_session(WAITING + user)
    if record is None:
        return []
    ctx.store.delete_session(WAITING + user)
    return [str(c) for c in record.get("codes", [])]


def _note_recent(ctx: Context, user: str, code: str) -> None:
    """``user`` just got a message of the other side of ``code``."""
    record = ctx.store.get_session(RECENT + user) or {}
    codes = {c: t for c, t in (record.get("codes") or {}).items()
             if ctx.now - float(t) < RECENT_HOURS * 3600 and c != code}
    ctx.store.put_session(RECENT + user, {"codes": {**codes, code: ctx.now},
                                          "updated_at": ctx.now})


def recent_codes(ctx: Context) -> list[str]:
    """The open orders this person is a side of whose other side wrote to them in the
    last `RECENT_HOURS`, latest first."""
    record = ctx.store.get_session(RECENT + ctx.key) or {}
    found = sorted(((float(t), c) for c, t in (record.get("codes") or {}).items()
                    if ctx.now - float(t) < RECENT_HOURS * 3600), reverse=True)
    codes = []
    for _, code in found:
        order = orders(ctx).get(code)
        if order is not None and role_of(order, ctx.key) and thread_open(ctx, order):
            codes.append(code)
    return codes


# -- relaying ---------------------------------------------------------------------------
def send(ctx: Context, order: Order, text: str, photo: str | None) -> str:
    """Relay what ``ctx.key`` wrote on ``order`` (its thread must be open and ``ctx.key``
    one of its two sides); store it with the order. The message id the writer is told:
    sent, waiting for a coordinator, or waiting for an away recipient."""
    role = role_of(order, ctx.key)
    assert role is not None, "relay.send by someone not on the order"
    text, hidden = hide_phones(text.strip(), known_phones(ctx, order, ctx.key))
    if hidden:
        ctx.say("thread.number_hidden")
    moment = now(ctx).isoformat(timespec="seconds")
    message = ThreadMessage(at=moment, by=ctx.key, role=role, text=text, photo=photo or None)
    to = order.user if role == COORDINATOR else order.coordinator
    gone = bool(to) and not reachable(ctx, [to or ""])  # no conversation: cannot write
    if to and not gone and not held_back(ctx, to):
        message = message.delivered(to, moment)
        outcome = "thread.sent"
    elif to:
        # the messenger holds it (and nudges them), or it waits here for their next word
        message = replace(message, to=to, held=not gone)
        outcome = "thread.waiting_away_resident" if role == COORDINATOR \
            else "thread.waiting_away_coordinator"
    else:
        outcome = "thread.waiting_unclaimed"
    stored = _write(ctx, order.code, lambda o: o.evolve(thread=added(o.thread, message)))
    if stored is None:
        return "status.no_such_order"
    if to and (message.delivered_at or message.held):
        for reply in relayed(ctx, stored, message, to):
            ctx.send(reply)
        _note_recent(ctx, to, order.code)
    if to and not message.delivered_at:
        _wait_for(ctx, to, order.code)  # marked delivered (or sent) when they next write
    log.info("order %s: a %s message relayed%s", order.code, role,
             "" if message.delivered_at else " (waiting)")
    return outcome


def deliver_waiting(ctx: Context, code: str, user: str) -> int:
    """Send ``user`` what waits for them on order ``code`` (as its resident, or as the
    coordinator holding it) and mark it delivered; how many went. What their messenger
    held went out as they wrote (the adapter sends it first): it is only marked."""
    sent: list[ThreadMessage] = []
    marked: list[ThreadMessage] = []
    moment = now(ctx).isoformat(timespec="seconds")

    def change(order: Order) -> Order | None:
        sent.clear()
        marked.clear()
        role = role_of(order, user)
        if role is None:
            return None
        positions = set(waiting_for(order.thread, role))
        if not positions:
            return None
        thread = list(order.thread)
        for n in sorted(positions):
            thread[n] = thread[n].delivered(user, moment)
            marked.append(thread[n])
            if not (thread[n].held and thread[n].to == user):
                sent.append(thread[n])
        return order.evolve(thread=tuple(thread))

    stored = _write(ctx, code, change)
    if stored is None:
        return 0
    for message in sent:
        for reply in relayed(ctx, stored, message, user):
            ctx.send(reply)
    if marked:
        _note_recent(ctx, user, code)
    return len(marked)


def deliver_on_arrival(ctx: Context) -> None:
    """An arrival hook: the messages that waited for this user go out first."""
    codes = _take_waiting(ctx, ctx.key)
    total = sum(deliver_waiting(ctx, code, ctx.key) for code in codes)
    if total:
        log.info("%d waiting thread message(s) delivered", total)


def after_change(ctx: Context, fired: Fired) -> None:
    """After a lifecycle change: a new holder gets what the resident wrote meanwhile; a
    thread with messages that the change closes says so to both sides."""
    before, after = fired.before, fired.after
    holder = after.coordinator
    if holder and holder != before.coordinator and waiting_for(after.thread, COORDINATOR):
        if away(ctx, holder):
            _wait_for(ctx, holder, after.code)
        else:
            deliver_waiting(ctx, after.code, holder)
    finished = lifecycle(ctx).statuses.finished
    if after.thread and is_open(before.status, finished) and not is_open(after.status,
                                                                         finished):
        for user in {after.user, *([holder] if holder else [])}:
            if reachable(ctx, [user]):
                lang = ctx.engine.language_of(user)
                ctx.send(Text(to=user, text=ctx.engine.i18n.t(
                    lang, "thread.closed", code=after.code,
                    status=status_label(ctx.engine.i18n, lang, after.status))))
