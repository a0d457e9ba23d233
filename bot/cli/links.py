"""``main.py links --referral rw05-jatibening``: the bot's links for an RT/RW, and a message
ready to forward to the neighbourhood's WhatsApp group.

Each messenger's link is one function (``telegram_link``); `share_message` takes the lines
they make, so a WhatsApp link is one more function and one more line in `link_lines`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.links import telegram_link, whatsapp_link
from bot.ordering.understanding.referrals import referral_tag


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(
        name,
        help="print the bot's deep link for a neighbourhood and a message to forward",
        description="Print the t.me deep link that tags orders with a referral (an RT/RW, "
        "say) and a ready-to-forward Indonesian message for the neighbourhood's WhatsApp "
        "group. The bot's username is --bot-username, else telegram.bot_username, else asked "
        "of Telegram (getMe) when telegram.token is set; the wa.me link needs --wa-number or "
        "whatsapp.display_number. What cannot be made is named on stderr.",
    )
    parser.add_argument("--referral", required=True,
                        help="tag for the orders, e.g. rw05-jatibening (A-Z a-z 0-9 _ -, "
                        "at most 64)")
    parser.add_argument("--bot-username", default=None,
                        help="the bot's username, without @ (skips asking Telegram)")
    parser.add_argument("--lang", default=None, help="language of the message (default: the "
                        "bot's language)")
    parser.add_argument("--wa-number", default=None,
                        help="the WhatsApp number residents write to, for a wa.me link "
                        "(default: whatsapp.display_number)")
    parser.set_defaults(run=run)


TAG_RULE = ("a tag is rw or rt, the number, then lower-case words joined by - or _, or kel "
            "then such words (e.g. rw05-jatibening, rt03_pekayon, kel-jatibening); the bot "
            "reads nothing else as one")


def valid_referral(referral: str) -> bool:
    """A referral tag as the bot reads one on every channel (`understanding.referrals`)."""
    return referral_tag(referral) == referral




def link_lines(i18n: Any, lang: str | None, *, referral: str, bot_username: str | None,
               wa_number: str | None = None) -> list[str]:
    """One line per messenger link, in the message's language."""
    lines = []
    if bot_username:
        lines.append(i18n.t(lang, "tg.links_telegram", link=telegram_link(bot_username, referral)))
    if wa_number:
        lines.append(i18n.t(lang, "wa.links_whatsapp", link=wa_link(wa_number, referral)))
    return lines


def wa_link(number: str, referral: str) -> str:
    """``https://wa.me/<number>?text=<referral>``; the tag must read as one on WhatsApp."""
    if not valid_referral(referral):
        raise ValueError(f"referral {referral!r}: {TAG_RULE}")
    return whatsapp_link(number, referral)


def share_message(i18n: Any, lang: str | None, markets: Any, lines: list[str]) -> str:
    """The forwardable message: the open markets, paying at home, no mark-up, the links."""
    names = [m.name for m in markets.open]
    return i18n.t(lang, "tg.links_message", count=len(names), markets=", ".join(names),
                  links="\n".join(lines))


def bot_username(config: dict, given: str | None) -> tuple[str | None, str]:
    """The bot's username: ``--bot-username``, else ``telegram.bot_username``, else asked
    of Telegram (getMe) when a token is configured. ``(None, what is missing)`` otherwise:
    without a token nothing goes over the network."""
    telegram = config.get("telegram") or {}
    username = str(given or telegram.get("bot_username") or "").strip().lstrip("@")
    if username:
        return username, ""
    if not str(telegram.get("token") or "").strip():
        return None, ("no Telegram link: it needs the bot's username (--bot-username, or "
                      "telegram.bot_username in the config; or telegram.token to ask Telegram)")
    from bot.adapters.telegram_setup import fetch_bot_username

    try:
        return asyncio.run(fetch_bot_username(telegram)), ""
    except Exception as exc:  # the Bot API unreachable, or the token refused
        return None, (f"no Telegram link: could not ask Telegram for the bot's username "
                      f"({type(exc).__name__}); pass --bot-username or set "
                      "telegram.bot_username")


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.config import ConfigError, resolve
    from bot.i18n import I18n
    from bot.ordering.domain.markets import MarketDataError, load_markets

    if not valid_referral(args.referral):
        print(f"--referral {args.referral!r}: {TAG_RULE}", file=sys.stderr)
        return 2
    whatsapp = config.get("whatsapp") or {}
    wa_number = str(getattr(args, "wa_number", None) or whatsapp.get("display_number") or "")
    username, missing = bot_username(config, args.bot_username)
    notes = [missing] if missing else []
    if not wa_number:
        notes.append("no WhatsApp link: it needs the number residents write to (--wa-number, "
                     "or whatsapp.display_number in the config)")
    try:
        i18n = I18n.load(resolve(config, config["locales"]), config.get("language", "id"))
        markets = load_markets(resolve(config, config["data"]["markets"]))
        lines = link_lines(i18n, args.lang, referral=args.referral, bot_username=username,
                           wa_number=wa_number or None)
    except (ConfigError, MarketDataError, ValueError) as exc:
        print(f"links: {exc}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"links: {note}", file=sys.stderr)
    if not lines:
        return 1
    if username:
        print(telegram_link(username, args.referral))
    if wa_number:
        print(wa_link(wa_number, args.referral))
    print()
    print(share_message(i18n, args.lang, markets, lines))
    return 0
