"""An announcement (`umumkan`, issue 16) to many residents over the tests' fake Bot API
(in this process's event loop) and fake Graph API (a thread), at the configured pace:
what arrives at the fakes, how fast, and the most in any one second.

    python3 bench/announce.py [RESIDENTS] [--telegram 20] [--whatsapp 20] [--in-flight 4]

Half the residents are on each platform; every 25th said ``berhenti``; every other
WhatsApp one last wrote three days ago (the template). The default pace (20 a second per
platform) is the config's; a pace above what the machine can send shows that limit
instead (the sends then queue on the event loop, not on the pace).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.ordering.chat.announcements import announce  # noqa: E402
from tests.announcing import OFFICE, TEMPLATE, most_in_window, on_both_fakes, residents  # noqa: E402
from tests.chat import test_config  # noqa: E402


def figures(name: str, times: list[float], pace: float) -> str:
    if len(times) < 2:
        return f"{name}: {len(times)} sends"
    span = max(times) - min(times)
    return (f"{name:9} {len(times):5d} sends in {span:6.2f} s = {(len(times) - 1) / span:6.1f}/s"
            f" (pace {pace:g}/s); most in any 1 s: {most_in_window(times, 1.0)}")


async def main(count: int, telegram_rate: float, whatsapp_rate: float, in_flight: int) -> None:
    config = test_config(admins=[OFFICE], announcements={
        "telegram_per_second": telegram_rate, "whatsapp_per_second": whatsapp_rate,
        "in_flight": in_flight, "whatsapp_template": TEMPLATE,
        "whatsapp_template_language": "id", "days": 30})
    async with on_both_fakes(config, telegram={"secret_token": "bench_secret"}) as on:
        app = on.app
        residents(app.store, app.engine.clock(), app.services.markets.timezone, count)
        cpu, wall = time.process_time(), time.perf_counter()
        counts = await announce(app, OFFICE, "kranji-baru",
                                "Pasar Kranji Baru tutup besok untuk perbaikan atap.")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{count} residents: {counts.sent} sent, {counts.failed} failed, "
              f"{counts.skipped} skipped ({counts.opted_out} said berhenti) in {wall:.2f} s"
              f" ({cpu:.2f} s CPU in this process, both fakes included)")
        print(figures("telegram", [c.at for c in on.bot_api.sent()], telegram_rate))
        print(figures("whatsapp", [t for t, _ in on.graph.arrivals], whatsapp_rate))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("residents", nargs="?", type=int, default=600)
    parser.add_argument("--telegram", type=float, default=20.0)
    parser.add_argument("--whatsapp", type=float, default=20.0)
    parser.add_argument("--in-flight", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.residents, args.telegram, args.whatsapp, args.in_flight))
