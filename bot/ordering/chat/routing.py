"""Who goes where from the main flow: the menu's options by role, and the welcome's routes.

The first message of a conversation may already ask for something: a coordinator's
"ambil KRB-1127-001" or claim button, a resident's "komplain KRB-1127-001" or report button,
anyone's "link". flows/main.yaml's welcome state sends each to its flow with these
conditions; that flow then reads the same message (`read_command(ctx.incoming)`).
"""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.registry import Registry
from bot.messages import Option
from bot.ordering.understanding.commands import STAFF_VERBS, is_order_option, read_command, route
from bot.ordering.understanding.referrals import referral_tag

STAFF_LABELS = {
    "coordinator": "coord.opt_staff_coordinator",
    "head": "coord.opt_staff_head",
    "admin": "coord.opt_staff_admin",
}


def main_menu(ctx: Context) -> list[Option]:
    """Residents: order, status, help. Staff see the way to their own menu first."""
    options = [
        Option("order", ctx.t("main.opt_order")),
        Option("status", ctx.t("main.opt_status")),
        Option("help", ctx.t("main.opt_help")),
    ]
    roles = ctx.services.roles
    if roles.is_staff(ctx.key):
        options.insert(0, Option("staff", ctx.t(STAFF_LABELS[roles.role(ctx.key)])))
    return options


def _routed(ctx: Context) -> str | None:
    command = read_command(ctx.incoming)
    return route(ctx, command) if command is not None else None


def asks_for_link(ctx: Context) -> bool:
    return _routed(ctx) == "link"


def is_staff(ctx: Context) -> bool:
    return bool(ctx.services.roles.is_staff(ctx.key))


def names_my_order(ctx: Context) -> bool:
    return _routed(ctx) == "mine"


def asks_staff_only(ctx: Context) -> bool:
    """A staff command from someone who is not staff (logged)."""
    command = read_command(ctx.incoming)
    if command is None or command.verb not in STAFF_VERBS:
        return False
    if ctx.services.roles.is_staff(ctx.key):
        return False
    ctx.services.roles.refused(ctx.key, command.verb, command.code or "")
    return True


def register(registry: Registry) -> None:
    registry.options("main_menu")(main_menu)
    registry.condition("asks_for_link")(asks_for_link)
    registry.condition("is_staff")(is_staff)
    registry.condition("names_my_order")(names_my_order)
    registry.condition("asks_staff_only")(asks_staff_only)
    # a notice's claim / report / view button works whatever the person is doing
    registry.standing_options(is_order_option)
    # a neighbourhood's tag, from a referral link or typed first, on every channel
    registry.referral_tags(referral_tag)
