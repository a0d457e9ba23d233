"""The CPU one Bot API call costs the calling process, per transport.

    python3 bench/bot_api_calls.py [--calls N] [--rounds R]

A local HTTP/1.1 server in another process (a few lines of asyncio: its CPU is not
counted) answers every call with a sendMessage result. This process makes the same
`Bot.send_message` calls (text and an inline keyboard, as the order flow sends) through:
- ``httpx default``: python-telegram-bot's default `HTTPXRequest` (256 connections), as a
  plain PTB bot has it;
- ``httpx 4 conns``: `HTTPXRequest` with 4 connections, what the adapter used before;
- ``aiohttp (ours)``: `bot.adapters.telegram_http.AiohttpRequest` with 4 slots;
each with 4 and 50 calls wanting to be in flight at once. Printed: CPU ms per call
(process time / calls) and calls per second, per round, then the ratios to httpx default.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.adapters.telegram_http import AiohttpRequest  # noqa: E402

SERVER = r'''
import asyncio, json, sys
ME = json.dumps({"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "Bot",
                 "username": "PasarDaringBot"}}).encode()
SENT = json.dumps({"ok": True, "result": {"message_id": 7, "date": 1700000000,
  "chat": {"id": 500001, "type": "private", "first_name": "Warga"},
  "from": {"id": 1, "is_bot": True, "first_name": "Bot", "username": "PasarDaringBot"},
  "text": "Kirim daftar belanja Anda, satu barang per baris",
  "reply_markup": {"inline_keyboard": [[{"text": "Selesai", "callback_data": "c:~3~done"}],
                                       [{"text": "Batal", "callback_data": "c:~3~cancel"}]]}}}
  ).encode()

async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            body = ME if b"/getMe" in head.split(b"\r\n")[0] else SENT
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()

async def main():
    sock = __import__("socket").socket()
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    server = await asyncio.start_server(handle, sock=sock)
    async with server:
        await server.serve_forever()
asyncio.run(main())
'''

MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton("Selesai", callback_data="c:~3~done")],
                               [InlineKeyboardButton("Batal", callback_data="c:~3~cancel")]])
TEXT = "Kirim daftar belanja Anda, satu barang per baris"


async def measure(make: Callable[[], Bot], calls: int, at_once: int) -> tuple[float, float]:
    """(CPU ms per call, calls per second) of ``calls`` sends, ``at_once`` wanting out."""
    bot = make()
    await bot.initialize()
    gate = asyncio.Semaphore(at_once)

    async def one() -> None:
        async with gate:
            await bot.send_message(500001, TEXT, reply_markup=MARKUP)

    await asyncio.gather(*(one() for _ in range(min(200, calls))))  # warm the connections
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(calls)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await bot.shutdown()
    return cpu / calls * 1e3, calls / wall


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def main_async(calls: int, rounds: int) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    base = f"http://127.0.0.1:{port}/bot"
    token = "123456:bench"
    transports: dict[str, Callable[[], Bot]] = {
        "httpx default": lambda: Bot(token, base_url=base),
        "httpx 4 conns": lambda: Bot(token, base_url=base, request=HTTPXRequest(
            connection_pool_size=4, pool_timeout=60)),
        "aiohttp (ours)": lambda: Bot(token, base_url=base, request=AiohttpRequest(4)),
    }
    try:
        for _ in range(100):  # the server up
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        print(f"{calls} sendMessage calls per figure, {rounds} rounds; "
              f"pid {os.getpid()}, load {Path('/proc/loadavg').read_text().split()[0]}")
        figures: dict[tuple[str, int], list[float]] = {}
        for round_ in range(1, rounds + 1):
            for at_once in (4, 50):
                for name, make in transports.items():
                    cpu_ms, rate = await measure(make, calls, at_once)
                    figures.setdefault((name, at_once), []).append(cpu_ms)
                    print(f"  round {round_}  {name:<15} {at_once:>3} at once: "
                          f"{cpu_ms:6.3f} CPU ms/call  {rate:7.0f} calls/s", flush=True)
        print("\nmedian CPU per call, ratio to httpx default (lower is better):")
        for at_once in (4, 50):
            base_ms = sorted(figures[("httpx default", at_once)])[rounds // 2]
            for name in transports:
                ms = sorted(figures[(name, at_once)])[rounds // 2]
                print(f"  {at_once:>3} at once  {name:<15} {ms:6.3f} ms  x{ms / base_ms:.2f}")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main_async(args.calls, args.rounds))


if __name__ == "__main__":
    main()
