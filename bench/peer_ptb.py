"""The peer bot of bench/e2e.py: the order bot a Bekasi developer would write with plain
python-telegram-bot, without this framework.

    python3 bench/peer_ptb.py --base-url URL --token TOKEN --data DIR [--every-update]

A `ConversationHandler` (menu, market, shopping list, address, name, phone, confirm) with
inline keyboards where ours has buttons (the menu, the markets, "Selesai", "Ya, pesan"),
`PicklePersistence` (PTB's default: the pickle is written by a job every 60 s and at
shutdown), polling with `run_polling`, PTB's defaults otherwise (one update at a time, no
rate limiter). A pressed button is answered (``answerCallbackQuery``) and the next
question sent as a new message. ``--every-update`` also writes the pickle after every
update (a handler in a later group), what a "nothing confirmed is lost" promise needs
(still without fsync).

It reuses our domain helpers (market matching, list parsing, address and phone checks) and
our Indonesian texts, so the difference with ours is the framework and the persistence, not
the parsing or the words. The name comes from the Telegram profile when it has one (as
ours does), else it is asked.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning  # noqa: E402

from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.engine.inputs.phone import display_phone, normalize_phone  # noqa: E402
from bot.engine.matching import Matched  # noqa: E402

try:  # the order domain's modules, after and before issue 12's split
    from bot.ordering.understanding.address import check_address
    from bot.ordering.understanding.items import Item, describe, parse_items
    from bot.ordering.understanding.market_match import match_market
except ImportError:
    from bot.ordering.address import check_address  # type: ignore[no-redef]
    from bot.ordering.items import Item, describe, parse_items  # type: ignore[no-redef]
    from bot.ordering.market_match import match_market  # type: ignore[no-redef]
from bot.storage.memory import MemoryStore  # noqa: E402

MENU, MARKET, ITEMS, ADDRESS, NAME, PHONE, CONFIRM = range(7)


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)
                                  for label, data in row] for row in rows])


class PeerBot:
    """The resident's order conversation as PTB handlers."""

    def __init__(self, app: App) -> None:
        self.markets = app.markets
        self.i18n = app.i18n

    def t(self, message_id: str, **params: Any) -> str:
        return self.i18n.t("id", message_id, **params)

    def handler(self) -> ConversationHandler:
        text = filters.TEXT & ~filters.COMMAND
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBUserWarning)  # the per_message advice
            return ConversationHandler(
                entry_points=[MessageHandler(filters.TEXT, self.start)],
                states={
                    MENU: [CallbackQueryHandler(self.menu_pressed, pattern="^menu:"),
                           MessageHandler(text, self.menu_typed)],
                    MARKET: [CallbackQueryHandler(self.market_pressed, pattern="^market:"),
                             MessageHandler(text, self.market_typed)],
                    ITEMS: [CallbackQueryHandler(self.done_pressed, pattern="^done$"),
                            MessageHandler(text, self.items)],
                    ADDRESS: [MessageHandler(text, self.address)],
                    NAME: [MessageHandler(text, self.name)],
                    PHONE: [MessageHandler(text, self.phone)],
                    CONFIRM: [CallbackQueryHandler(self.confirm_pressed, pattern="^confirm:"),
                              MessageHandler(text, self.confirm_typed)],
                },
                fallbacks=[],
                name="order",
                persistent=True,
            )

    # -- steps ----------------------------------------------------------------------
    async def start(self, update: Update, context: Any) -> int:
        await update.effective_message.reply_text(
            self.t("main.greeting") + "\n\n" + self.t("main.menu"),
            reply_markup=keyboard([(self.t("main.opt_order"), "menu:order")],
                                  [(self.t("main.opt_status"), "menu:status")],
                                  [(self.t("main.opt_help"), "menu:help")]))
        return MENU

    async def menu_pressed(self, update: Update, context: Any) -> int:
        query = update.callback_query
        await query.answer()
        if query.data != "menu:order":
            await query.message.reply_text(self.t("main.menu"))
            return MENU
        return await self.ask_market(update, context)

    async def menu_typed(self, update: Update, context: Any) -> int:
        if update.message.text.strip().lower() not in ("1", "pesan", "pesan belanja"):
            await update.message.reply_text(self.t("main.menu"))
            return MENU
        return await self.ask_market(update, context)

    async def ask_market(self, update: Update, context: Any) -> int:
        context.user_data.clear()
        rows = [[(m.name, f"market:{m.id}")] for m in self.markets.open]
        await update.effective_message.reply_text(
            self.t("order.ask_market", coming_markets=""), reply_markup=keyboard(*rows))
        return MARKET

    async def market_pressed(self, update: Update, context: Any) -> int:
        query = update.callback_query
        await query.answer()
        return await self.chose_market(update, context, self.markets.get(query.data[7:]))

    async def market_typed(self, update: Update, context: Any) -> int:
        match = match_market(update.message.text.strip(), self.markets)
        found = self.markets.get(match.option_id) if isinstance(match, Matched) else None
        return await self.chose_market(update, context, found)

    async def chose_market(self, update: Update, context: Any, found: Any) -> int:
        if found is None:
            await update.effective_message.reply_text(
                self.t("order.ask_market", coming_markets=""))
            return MARKET
        context.user_data.update(market=found.id, market_name=found.name, items=[])
        await update.effective_message.reply_text(
            self.t("order.ask_items", market_name=found.name))
        return ITEMS

    async def items(self, update: Update, context: Any) -> int:
        text = update.message.text.strip()
        if text.lower() == "selesai" and context.user_data["items"]:
            return await self.ask_address(update)
        context.user_data["items"] += [item.to_dict() for item in parse_items(text)]
        lines = [f"{i}. {describe(Item.from_dict(e))}"
                 for i, e in enumerate(context.user_data["items"], 1)]
        await update.message.reply_text(
            f"Daftar Anda ({len(lines)}):\n" + "\n".join(lines),
            reply_markup=keyboard([(self.t("engine.opt_done"), "done")]))
        return ITEMS

    async def done_pressed(self, update: Update, context: Any) -> int:
        await update.callback_query.answer()
        return await self.ask_address(update)

    async def ask_address(self, update: Update) -> int:
        await update.effective_message.reply_text(self.t("order.ask_address"))
        return ADDRESS

    async def address(self, update: Update, context: Any) -> int:
        text = update.message.text.strip()
        missing = check_address(text, False)
        if missing:
            await update.message.reply_text(self.t(missing[0]))
            return ADDRESS
        context.user_data["address"] = {"text": text, "location": None}
        profile = update.effective_user.first_name if update.effective_user else ""
        if profile and not context.user_data.get("name"):
            context.user_data["name"] = profile[:60]
        if not context.user_data.get("name"):
            await update.message.reply_text(self.t("order.ask_name"))
            return NAME
        await update.message.reply_text(self.t("order.ask_phone"))
        return PHONE

    async def name(self, update: Update, context: Any) -> int:
        context.user_data["name"] = update.message.text.strip()[:60]
        await update.message.reply_text(self.t("order.ask_phone"))
        return PHONE

    async def phone(self, update: Update, context: Any) -> int:
        phone = normalize_phone(update.message.text)
        if phone is None:
            await update.message.reply_text(self.t("order.ask_phone"))
            return PHONE
        data = context.user_data
        data["phone"] = phone
        items = "\n".join(f"{i}. {describe(Item.from_dict(e))}"
                          for i, e in enumerate(data["items"], 1))
        await update.message.reply_text(
            self.t("order.summary", market_name=data["market_name"], items_text=items,
                   address_text=data["address"]["text"],
                   contact_text=f"{data['name']} · {display_phone(phone)}"),
            reply_markup=keyboard([(self.t("engine.opt_yes"), "confirm:yes")],
                                  [(self.t("engine.opt_edit"), "confirm:edit")],
                                  [(self.t("engine.opt_cancel"), "confirm:cancel")]))
        return CONFIRM

    async def confirm_pressed(self, update: Update, context: Any) -> int:
        query = update.callback_query
        await query.answer()
        return await self.confirmed(update, context, query.data == "confirm:yes")

    async def confirm_typed(self, update: Update, context: Any) -> int:
        return await self.confirmed(update, context,
                                    update.message.text.strip().lower() == "ya")

    async def confirmed(self, update: Update, context: Any, yes: bool) -> int:
        data = context.user_data
        if not yes:
            await update.effective_message.reply_text(self.t("order.cancelled"))
            return ConversationHandler.END
        market = self.markets.get(data["market"])
        assert market is not None
        day = time.strftime("%m%d")
        counters = context.bot_data.setdefault("sequences", {})
        number = counters[f"{market.code}-{day}"] = counters.get(f"{market.code}-{day}", 0) + 1
        code = f"{market.code}-{day}-{number:03d}"
        context.bot_data.setdefault("orders", {})[code] = {
            "code": code, "market": market.id, "status": "new", "items": data["items"],
            "address": data["address"], "resident": {"name": data["name"],
                                                     "phone": data["phone"]},
            "user": update.effective_user.id, "created_at": time.time(),
        }
        await update.effective_message.reply_text(
            self.t("order.placed", code=code, market_name=market.name))
        return ConversationHandler.END


async def persist_now(update: object, context: Any) -> None:
    """After every update (a later handler group): the pickle written now."""
    await context.application.update_persistence()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the Bot API, ending in /bot")
    parser.add_argument("--token", required=True)
    parser.add_argument("--data", required=True, type=Path, help="folder for the pickle")
    parser.add_argument("--every-update", action="store_true",
                        help="write the pickle after every update")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    root = BENCH.parent
    config = load_config(root / "config.yaml", env={})
    config["telegram"]["enabled"] = config["whatsapp"]["enabled"] = False
    bot = PeerBot(App(config, store=MemoryStore()))  # markets and texts only
    args.data.mkdir(parents=True, exist_ok=True)
    persistence = PicklePersistence(args.data / "peer.pickle", update_interval=60)
    application = (Application.builder().token(args.token).base_url(args.base_url)
                   .persistence(persistence).build())
    application.add_handler(bot.handler())
    if args.every_update:
        application.add_handler(TypeHandler(Update, persist_now), group=1)
    application.run_polling(poll_interval=0.0, timeout=10,
                            allowed_updates=["message", "callback_query"])


if __name__ == "__main__":
    main()
