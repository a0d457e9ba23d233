"""``main.py whois``: who a pseudonym in the log is, or the pseudonym of a user.

Log lines name users by pseudonym (``u-3f9a1c0b7e``, `bot.privacy`): the HMAC of the user
key under the data folder's key. Only someone with the data folder can say who is who:

- ``whois`` lists every user the folder and the config know (the residents of the orders,
  everyone with a conversation in the folder, the coordinators and heads of
  data/markets.yaml, the admins of config.yaml) with their pseudonym;
- ``whois u-3f9a1c0b7e`` finds that pseudonym among them;
- ``whois whatsapp:6281234567890`` (or ``0812-3456-7890``, a WhatsApp number) prints the
  pseudonym of that user key, known or not.

Reads only: works while the bot runs, changes no file, makes no key.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.privacy import PREFIX, pseudonym


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(
        name,
        help="who a log line's pseudonym (u-...) is, or a user's pseudonym",
        description="Log lines name users by pseudonym (u- and 10 hex digits, keyed by "
        "the data folder's log-pseudonym.key). Without arguments: every known user "
        "(orders, conversations, markets.yaml staff, config admins) and their pseudonym. With a "
        "pseudonym: who it is. With a user key (whatsapp:62812..., telegram:123) or a "
        "phone number: its pseudonym. Reads only.",
    )
    parser.add_argument("who", nargs="*", help="pseudonyms, user keys or phone numbers")
    parser.set_defaults(run=run)


def as_user_key(text: str) -> str:
    """A user key as given, or ``whatsapp:<digits>`` for a phone number."""
    from bot.engine.inputs.phone import normalize_phone

    if ":" in text:
        return text
    phone = normalize_phone(text)
    return f"whatsapp:{phone.lstrip('+')}" if phone else text


CHANNELS = ("telegram", "whatsapp", "console")


def session_keys(folder: Path) -> set[str]:
    """The conversation keys of the folder's sessions: its session files and the session
    records of its journals (read only, as `bot.storage.snapshot` reads the orders).
    Records kept under other keys (a tag's maker, a WhatsApp window) are left out."""
    from bot.storage.journal import Journal

    keys: set[str] = set()
    for path in sorted(folder.glob("sessions-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for table in data.values() if isinstance(data, dict) else ():
            for doc in table.values() if isinstance(table, dict) else ():
                if isinstance(doc, dict) and isinstance(doc.get("key"), str):
                    keys.add(doc["key"])
    for scan in Journal(folder).read():
        for record in scan.records:
            sessions = record.get("s")
            if isinstance(sessions, dict):
                keys.update(k for k in sessions if isinstance(k, str))
    return {k for k in keys if k.partition(":")[0] in CHANNELS}


def known_users(config: dict, store: Any, folder: Path | None = None) -> dict[str, str]:
    """user key -> what they are (role and name), from the config, markets, orders and
    the folder's conversations."""
    from bot.config import resolve
    from bot.ordering.domain.markets import MarketDataError, load_markets

    users: dict[str, str] = {}
    for admin in config.get("admins") or ():
        users[str(admin)] = "admin"
    try:
        markets = load_markets(resolve(config, config["data"]["markets"]))
    except MarketDataError:
        markets = None
    for market in markets.markets if markets else ():
        for user in market.coordinators:
            users.setdefault(user, f"coordinator {market.staff_name(user)} ({market.name})")
        if market.head:
            users.setdefault(market.head,
                             f"head {market.staff_name(market.head)} ({market.name})")
    from bot.ordering.domain.repository import Orders

    for order in Orders(store).query() if store is not None else ():
        if order.user and order.user not in users:
            users[order.user] = f"resident {order.resident.name}".strip()
    for user in sorted(session_keys(folder)) if folder is not None else ():
        users.setdefault(user, "chatted with the bot")
    return users


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.cli.common import open_orders
    from bot.config import resolve
    from bot.privacy import read_key

    storage = config.get("storage") or {}
    if storage.get("backend", "tinydb") == "postgres":  # the key is the database's
        from bot.cli.whois_postgres import database_key

        folder, key = None, database_key(config)
    elif storage.get("backend", "tinydb") != "tinydb":
        print("whois: pseudonyms are kept per data folder; storage.backend is not tinydb",
              file=sys.stderr)
        return 1
    else:
        folder = resolve(config, storage.get("path", "data/"))
        key = read_key(folder)
    if key is None:
        print(f"whois: {folder or 'the database'} has no pseudonym key yet (the bot makes "
              "it when it first runs on it); no log line can name anyone by it",
              file=sys.stderr)
        return 1
    store = open_orders(config, "whois")
    try:
        users = known_users(config, store, folder)
    finally:
        if store is not None:
            store.close()
    table = {pseudonym(user, key): user for user in users}
    if not args.who:
        for name, user in sorted(table.items(), key=lambda kv: kv[1]):
            print(f"{name}  {user}  {users[user]}")
        return 0
    missing = 0
    for given in args.who:
        if given.startswith(PREFIX) and ":" not in given:
            user = table.get(given)
            if user is None:
                missing += 1
                print(f"{given}  not a known user (orders, markets.yaml, admins)")
            else:
                print(f"{given}  {user}  {users[user]}")
        else:
            user = as_user_key(given)
            print(f"{pseudonym(user, key)}  {user}  {users.get(user, 'not a known user')}")
    return 1 if missing else 0
