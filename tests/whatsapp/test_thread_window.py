"""The order's conversation and WhatsApp's 24-hour window (issue 16 item 1): a coordinator
on WhatsApp who last wrote more than 24 hours ago is away; the resident is told so, the
message is held by the adapter (Graph error 131047) which nudges the coordinator with the
template, and it goes out, once and first, when the coordinator writes again."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.messages import Incoming
from bot.storage.memory import MemoryStore
from tests.chat import ADDRESS, ROOT, Clock, test_config
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.support import WaBot, pressed, text, texts

KOORD = "6281211112222"  # Pasar Kranji Baru's first coordinator, on WhatsApp here


async def resident(app: App, words: str) -> str:
    """What the resident (on the terminal channel) is answered; what the message sends
    others goes out through their adapters."""
    answer = await app.receive(Incoming(channel="console", user="warga", text=words))
    idle = getattr(app, "idle", None)  # the App's sender, where replies go out after
    if idle is not None:
        await idle()
    replies = getattr(answer, "replies", answer)
    return "\n".join(r.text for r in replies if r.to == "console:warga")


async def test_a_message_to_a_coordinator_outside_the_window_waits_for_them(
        tmp_path: Path, served_graph: tuple[FakeGraph, str], graph: FakeGraph) -> None:
    markets = (ROOT / "data" / "markets.yaml").read_text(encoding="utf-8")
    (tmp_path / "markets.yaml").write_text(
        markets.replace("console:koord-kranji-1", f"whatsapp:{KOORD}"), encoding="utf-8")
    config = test_config()
    config["data"] = {**config["data"], "markets": str(tmp_path / "markets.yaml")}
    app = App(config, store=MemoryStore())
    clock = Clock()
    app.engine.clock = clock
    wa = await WaBot(app, graph, served_graph[1], template_name="ada_pesan").start()
    try:
        assert "Pesanan baru: 0" in texts(await wa.send(text("halo", KOORD), KOORD))
        for words in ["halo", "1", "kranji baru", "telur 1 kg", "selesai", ADDRESS, "Bu Ani",
                      "0812-3456-7890", "ya"]:
            await resident(app, words)
        [order] = app.store.query_orders(user="console:warga")
        code = order["code"]
        await wa.send(pressed(f"claim:{code}", KOORD), KOORD)

        clock.advance(25 * 3600)  # the coordinator's window has closed
        await resident(app, "menu")
        assert "Tulis pesan untuk koordinator" in await resident(app, "tanya koordinator")
        before = len(graph.to(KOORD))
        graph.fail(KOORD, (400, 131047))  # what the Graph API says outside the window
        told = await resident(app, "bu, telurnya yang besar ya")
        assert "sedang tidak aktif" in told
        await wa.adapter.idle()
        nudges = graph.to(KOORD)[before:]
        assert [b["type"] for b in nudges] == ["template"]  # "a message is waiting"
        assert [code for code, _ in graph.rejected] == [131047]

        # the coordinator writes: the held message is the first thing they get, once
        got = await wa.send(text("halo", KOORD), KOORD)
        assert code in texts(got[:1]) and "telurnya yang besar" in texts(got[:1])
        assert "Warga (Bu Ani)" in texts(got[:1])
        assert texts(graph.to(KOORD)).count("telurnya yang besar") == 1
        stored = app.store.get_order(code)["thread"]
        assert [(m.get("held"), m.get("delivered_at") is not None) for m in stored] == [
            (True, True)]
        again = await wa.send(text("halo", KOORD), KOORD)
        assert "telurnya yang besar" not in texts(again)
    finally:
        await wa.close()
        app.close()
