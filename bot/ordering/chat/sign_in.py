"""``masuk`` / ``/login`` in chat: staff get a one-time link to the market office's pages.

A market-office admin, a head of unit or a coordinator who sends ``masuk`` gets a link on
the office's public address (``server.public_url``) that signs them in once, within
``office.link_minutes``. Anyone else who sends it is not staff: the condition is false and
they get the resident's menu as for any other word. The link's token is stored hashed
(`bot.office.links`); the link itself is only in the reply.
"""

from __future__ import annotations

import logging

from bot.engine.context import Context
from bot.engine.registry import Registry
from bot.office.links import issue_link, link_url
from bot.ordering.understanding.commands import read_command
from bot.privacy import who

log = logging.getLogger(__name__)
VERB = "login"


def asks_sign_in(ctx: Context) -> bool:
    """The message is ``masuk`` from a member of staff (and the office is on)."""
    command = read_command(ctx.incoming)
    if command is None or command.verb != VERB:
        return False
    return bool(ctx.services.office_url) and ctx.services.roles.is_staff(ctx.key)


def send_link(ctx: Context) -> None:
    services = ctx.services
    if not services.office_url or not services.roles.is_staff(ctx.key):
        return
    minutes = services.office_link_minutes
    token = issue_link(ctx.store, ctx.key, ctx.now, minutes)
    log.info("office: a sign-in link for %s", who(ctx.key))
    ctx.say("office.sign_in_link", url=link_url(services.office_url, token),
            minutes=f"{minutes:g}")


def register(registry: Registry) -> None:
    registry.condition("asks_sign_in")(asks_sign_in)
    registry.action("office_sign_in")(send_link)
