"""Screenshots of every office page at a phone's width and a desktop's, to look at.

    python3 bench/office_screenshots.py [--out DIR] [--as admin|head|coordinator] [--lang id]
                                        [--days 14]

Builds a TinyDB store in a temp folder with today's orders lived through the chat
(`bench/office_data.chat_day`: residents order, some by an RT/RW group's link, some stop
half-way; coordinators claim, shop, price, send the courier, deliver, take the cash; some
orders are cancelled) and ``--days`` - 1 days before written in bulk like them, serves
the office with uvicorn on a free port, signs in by the link the bot sends for `masuk`,
and saves a full-page PNG of each page in Debian's chromium (/usr/bin/chromium, headless),
at 390x844 and 1366x900, into ``--out`` (default ``/tmp/office-screenshots``): ``<page>-phone.png``,
``<page>-desktop.png`` (the whole page) and ``<page>-<size>-top.png`` (the first screen).
A line per page says its HTTP status and whether it scrolls sideways, and lists message
ids left untranslated and amounts not written as Rupiah. Not a test: look at the pictures.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script

import uvicorn  # noqa: E402

from bench.office_data import WIB, bulk_day, chat_day  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from bot.ordering.domain.statuses import STATUSES  # noqa: E402
from bot.server import build_server  # noqa: E402
from bot.storage.tinydb_store import TinyDBStore  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
ADMIN = "console:kantor-pasar"
WHO = {"admin": ADMIN, "head": "console:kepala-kranji", "coordinator": "console:koord-kranji-1"}
LINK = re.compile(r"https?://\S+/office/masuk/[A-Za-z0-9_\-]+")
# the pages, as paths under /office (an order's page is added from the store)
PAGES = {"today": "/", "recap": "/recap",
         "neighbourhoods": "/neighbourhoods", "funnel": "/funnel", "export": "/export",
         "people": "/people", "announce": "/umumkan"}


def loopback() -> socket.socket:
    """A bound loopback socket on a free port (TCP_NODELAY on its connections)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def serve(asgi: object, sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    """``asgi`` served by uvicorn (lifespan on) in a thread, once it has started."""
    server = uvicorn.Server(uvicorn.Config(asgi, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("the office did not start")
        time.sleep(0.02)
    return server, thread


async def link_for(app: App, user: str) -> str:
    """The sign-in link the bot sends ``user`` for `masuk` (after starting afresh, if it
    asks whether to go on with a conversation left hours ago)."""
    channel, name = user.split(":", 1)

    async def say(text: str | None = None, choice: str | None = None) -> list:
        return await app.engine.handle(Incoming(channel=channel, user=name, text=text,
                                                choice=choice,
                                                message_id=f"shot-{time.time()}-{choice}"))

    replies = await say("masuk")
    if any(o.id == "restart" for r in replies for o in getattr(r, "options", ())):
        await say(choice="restart")
        replies = await say("masuk")
    found = LINK.search("\n".join(r.text for r in replies if getattr(r, "text", None)))
    if not found:
        raise SystemExit(f"`masuk` from {user} gave no link: {[r.text for r in replies]}")
    return found.group(0)


MESSAGE_ID = re.compile(r"\b(?:office|coord|order|status|report|engine|main|help|staff)"
                        r"\.[a-z][a-z0-9_]+\b(?!\.)(?<!html)(?<!yaml)(?<!css)")
NOT_RUPIAH = re.compile(r"\bIDR\b|Rp\s+\d|Rp\d{1,3}(?:,\d{3})+\b|Rp\d+\.\d{2}\b|Rp\d{4,}")


def read_problems(text: str, lang: str) -> list[str]:
    """What a page's text shows that it should not: message ids left untranslated, and (in
    Indonesian) amounts not written as Babel writes Rupiah (Rp15.000)."""
    found = [f"untranslated id: {m}" for m in sorted(set(MESSAGE_ID.findall(text)))]
    if lang == "id":
        found += [f"not Rupiah as Babel writes it: {m!r}"
                  for m in sorted(set(NOT_RUPIAH.findall(text)))]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/office-screenshots"))
    parser.add_argument("--as", dest="role", choices=sorted(WHO), default="admin")
    parser.add_argument("--lang", default="id")
    parser.add_argument("--days", type=int, default=14,
                        help="days of orders: today by chat, the others written in bulk")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="office-shots-"))
    sock = loopback()
    port = sock.getsockname()[1]
    config = load_config(ROOT / "config.yaml", env={})
    config["telegram"]["enabled"] = config["whatsapp"]["enabled"] = False
    config["server"] = {**config["server"], "host": "127.0.0.1", "port": port}
    config["admins"] = [ADMIN]
    app = App(config, store=TinyDBStore(work / "data", finished=STATUSES.finished))
    started = time.perf_counter()
    codes = asyncio.run(chat_day(app))
    app.engine.clock = time.time
    print(f"{len(codes)} orders lived through the chat in {time.perf_counter() - started:.1f} s")
    like = app.store.query_orders()
    today = datetime.now(WIB)
    earlier = 0
    for back in range(1, args.days):  # the days before, for the recap's range and trends
        earlier += bulk_day(app.store, list(app.markets.open)[:4], 15 + (back * 7) % 30,
                            today - timedelta(days=back), like=like, seed=back,
                            settled=True)
    print(f"{earlier} orders on the {args.days - 1} days before, through the repository")
    links = {size: asyncio.run(link_for(app, WHO[args.role])) for size in SIZES}
    asyncio.run(app.store.flush())
    server, thread = serve(build_server(app, []), sock)
    base = f"http://127.0.0.1:{port}/office"
    pages = dict(PAGES)
    week = (today - timedelta(days=6)).date().isoformat()
    pages["recap-range"] = f"/recap?from={week}&to={today.date().isoformat()}"
    market = None if args.role == "admin" else "kranji-baru"  # WHO's staff are Kranji's
    todays = app.store.query_orders(since=today.date().isoformat(), market=market)
    for name, status in (("order", "on_the_way"), ("order-new", "new"),
                         ("order-shopping", "shopping")):
        found = sorted((o for o in todays if o["status"] == status),  # the viewer's own first
                       key=lambda o: o.get("coordinator") != WHO[args.role])
        if found:
            pages[name] = f"/order/{found[0]['code']}"
    written = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for size, viewport in SIZES.items():
                context = browser.new_context(viewport=viewport, locale="id-ID",
                                              device_scale_factor=1)
                page = context.new_page()
                page.goto(links[size])
                page.screenshot(path=str(args.out / f"signin-{size}.png"), full_page=True)
                page.get_by_role("button").first.click()
                page.wait_for_load_state("networkidle")
                for name, path in pages.items():
                    sep = "&" if "?" in path else "?"
                    response = page.goto(f"{base}{path}{sep}lang={args.lang}")
                    status = response.status if response is not None else 0
                    if status == 404:
                        print(f"{name}: {path} is not there (404); no screenshot")
                        continue
                    page.wait_for_load_state("networkidle")
                    target = args.out / f"{name}-{size}.png"
                    page.screenshot(path=str(target), full_page=True)
                    page.screenshot(path=str(args.out / f"{name}-{size}-top.png"))
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    note = f" (scrolls sideways: {wide}px)" if wide > viewport["width"] else ""
                    print(f"{target.name}: HTTP {status}{note}")
                    for problem in read_problems(page.inner_text("body"), args.lang):
                        print(f"  {problem}")
                    written += 1
                context.close()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        app.close()
    print(f"{written} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
