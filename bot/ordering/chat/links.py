"""Referral links for RT/RW admins: the names flows/link.yaml uses.

An admin who sends ``link`` says which RW and kelurahan; the tag (``rw05-jatibening``)
goes into a Telegram deep link (``t.me/<bot>?start=<tag>``, needs
``telegram.bot_username``) and a WhatsApp link (``wa.me/<number>?text=<tag>``, needs
``whatsapp.display_number``); whatever is configured is shown, with a message to forward.
Orders placed after following it carry the tag; the admin sees how many on their next
``link``.

Who sees the counts: the one who made the tag first (recorded in the store under
``link:<tag>``), heads of market units and the market office (config ``admins``). Anyone
may make a link, also one for a tag someone else made: they get the links, not the count
of orders that came through someone else's neighbourhood.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from bot.engine.context import Context
from bot.engine.flow import InputSpec
from bot.engine.inputs.base import Accept, InputKind, Invalid, Result, answer_text
from bot.engine.registry import Registry
from bot.links import telegram_link, whatsapp_link
from bot.messages import Incoming
from bot.ordering.chat.changes import orders

log = logging.getLogger(__name__)
_RW = re.compile(r"^(?:rw\.?\s*)?0*(\d{1,3})$")
MAX_LINKS = 20
MAKER_PREFIX = "link:"  # store record link:<tag> -> {"maker": user key}


def slug(text: str) -> str:
    """``Jati Bening Baru`` -> ``jati-bening-baru`` (ASCII letters and digits)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"^(?:kel(?:urahan)?\.?\s+|desa\s+)", "", text.strip())
    return "-".join(re.findall(r"[a-z0-9]+", text))[:40]


def make_tag(rw: int, kelurahan: str) -> str:
    return f"rw{rw:02d}-{slug(kelurahan)}".rstrip("-")


def _links(ctx: Context, tag: str) -> list[str]:
    """A line per messenger whose link the config allows (bot username, display number)."""
    services = ctx.services
    lines = []
    for message_id, make_link, handle in (
        ("link.telegram", telegram_link, services.bot_username),
        ("link.whatsapp", whatsapp_link, services.wa_number),
    ):
        if handle:
            try:
                lines.append(ctx.t(message_id, url=make_link(handle, tag)))
            except ValueError:
                log.warning("%s is not usable in a link; check config.yaml", message_id)
    return lines


def maker_of(store: Any, tag: str) -> str | None:
    """Who made ``tag`` first (None: nobody yet, or so long ago the record expired)."""
    record = store.get_session(MAKER_PREFIX + tag) or {}
    maker = record.get("maker")
    return maker if isinstance(maker, str) else None


def _record_maker(ctx: Context, tag: str) -> None:
    """The first maker of a tag keeps it; theirs is refreshed whenever they use it, so
    it lives as long as their own conversation would (sessions.expire_after_days)."""
    maker = maker_of(ctx.store, tag)
    if maker is None or maker == ctx.key:
        ctx.store.put_session(MAKER_PREFIX + tag, {"maker": ctx.key, "updated_at": ctx.now})


def may_see_count(ctx: Context, tag: str) -> bool:
    """The tag's maker, a head of a market unit, the market office."""
    roles = ctx.services.roles
    if roles.is_admin(ctx.key) or roles.headed(ctx.key):
        return True
    return maker_of(ctx.store, tag) == ctx.key


def _count(ctx: Context, tag: str) -> int:
    return len(orders(ctx).query(referral=tag))


def list_links(ctx: Context) -> None:
    tags = ctx.session.profile.get("links") or []
    lines = []
    for tag in tags:
        _record_maker(ctx, tag)
        if may_see_count(ctx, tag):
            lines.append(ctx.t("link.count_line", tag=tag, count=_count(ctx, tag)))
        else:
            lines.append(ctx.t("link.tag_line", tag=tag))
    ctx.slots["links_text"] = "\n".join(lines)


def make(ctx: Context) -> None:
    tag = make_tag(int(ctx.slots["rw"]), str(ctx.slots.get("kelurahan") or ""))
    tags = [t for t in ctx.session.profile.get("links") or [] if t != tag]
    ctx.session.profile["links"] = [*tags, tag][-MAX_LINKS:]
    _record_maker(ctx, tag)
    links = _links(ctx, tag)
    ctx.slots["tag"] = tag
    if may_see_count(ctx, tag):
        ctx.slots["count_text"] = ctx.t("link.count_made", count=_count(ctx, tag))
    else:
        ctx.slots["count_text"] = ctx.t("link.count_elsewhere", tag=tag)
    if links:
        ctx.slots["links_text"] = "\n".join(links)
        ctx.slots["share_text"] = ctx.t("link.share", links="\n".join(links))
    else:
        ctx.slots["links_text"] = ctx.t("link.not_configured", tag=tag)
        ctx.slots["share_text"] = ctx.t("link.share_code", tag=tag)


class RwKind(InputKind):
    """An RW number: ``05``, ``5``, ``RW 05``."""

    name = "rw"
    hint = "link.hint_rw"

    def parse(self, ctx: Context, spec: InputSpec, msg: Incoming, value: Any = None) -> Result:
        found = _RW.match(" ".join(answer_text(msg).lower().split())[:20])
        if not found or not 1 <= int(found.group(1)) <= 99:
            return Invalid("link.invalid_rw")
        return Accept(int(found.group(1)))


def register(registry: Registry) -> None:
    registry.kind(RwKind())
    registry.action("link_list")(list_links)
    registry.action("link_make")(make)
    registry.condition("link_has_links")(lambda ctx: bool(ctx.session.profile.get("links")))
