"""Replies -> Graph API bodies within WhatsApp's limits, for every menu the flows have."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.whatsapp_render import (
    MAX_BODY,
    MAX_TEXT,
    PAGE_PREFIX,
    check_limits,
    page_request,
    pages,
    render,
    render_menu,
    shorten,
    split_text,
)
from bot.app import App
from bot.engine.context import Context
from bot.engine.session import Session
from bot.messages import AskContact, AskLocation, Menu, Option, Reply, Text
from tests.whatsapp.conftest import new_app

TO = "6281234567890"


@functools.cache
def the_app() -> App:
    return new_app()


def t_for(language: str) -> Any:
    return lambda message_id, **params: the_app().i18n.t(language, message_id, **params)


T = t_for("id")


def menu(count: int, label: str = "Pilihan nomor {}", **kw: Any) -> Menu:
    options = tuple(Option(f"opt{i}", label.format(i)) for i in range(1, count + 1))
    return Menu(to=f"whatsapp:{TO}", text="Mau yang mana?", options=options, **kw)


def all_pages(reply: Menu, t: Any = T) -> list[list[dict[str, Any]]]:
    return [render_menu(reply, TO, t, page) for page in range(len(pages(len(reply.options))))]


def reachable(reply: Menu, t: Any = T) -> list[str]:
    """Option ids a user can tap, over every page, in the order shown."""
    ids: list[str] = []
    for bodies in all_pages(reply, t):
        for body in bodies:
            assert check_limits(body) == [], body
            content = body.get("interactive", {})
            action = content.get("action", {})
            ids += [b["reply"]["id"] for b in action.get("buttons", [])]
            ids += [r["id"] for s in action.get("sections", []) for r in s["rows"]
                    if not r["id"].startswith(PAGE_PREFIX)]
    return ids


def test_shorten_cuts_at_a_word_boundary() -> None:
    assert shorten("Pasar Induk Cibitung Kabupaten Bekasi", 24) == "Pasar Induk Cibitung…"
    assert shorten("Pasar Kranji Baru", 24) == "Pasar Kranji Baru"
    assert shorten("Supercalifragilisticexpialidocious", 20) == "Supercalifragilisti…"
    assert all(len(shorten("kata " * 30, n)) <= n for n in range(2, 80))


def test_long_text_is_split_at_line_breaks_without_losing_anything() -> None:
    lines = [f"{i}. bawang merah 1/4 kg, cabe rawit 5rb, telur 1 kg" for i in range(200)]
    text = "\n".join(lines)
    pieces = split_text(text)
    assert len(pieces) > 1 and all(len(p) <= MAX_TEXT for p in pieces)
    assert "\n".join(pieces) == text
    assert all(p.split("\n")[0] in lines for p in pieces)  # each piece starts on a line
    words = " ".join(["kata"] * 3000)  # one line longer than the limit
    assert " ".join(split_text(words)) == words


def test_up_to_three_short_options_are_reply_buttons() -> None:
    (body,) = render(menu(3, "Pilihan {}"), TO, T)
    assert body["to"] == TO and body["type"] == "interactive"
    assert body["interactive"]["type"] == "button"
    assert [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]] == [
        "Pilihan 1", "Pilihan 2", "Pilihan 3"]


def test_a_label_too_long_for_a_button_makes_a_list_with_the_full_text() -> None:
    long = Menu(to="whatsapp:1", text="Pilih", options=(
        Option("a", "Ya"), Option("b", "Kirim ke alamat kantor di Jalan Ahmad Yani")))
    (body,) = render(long, TO, T)
    assert check_limits(body) == []
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert rows[1]["title"] == "Kirim ke alamat kantor…"
    assert rows[1]["description"] == "Kirim ke alamat kantor di Jalan Ahmad Yani"


def test_up_to_ten_options_are_one_list() -> None:
    (body,) = render(menu(10, button="Pilih pasar"), TO, T)
    action = body["interactive"]["action"]
    assert body["interactive"]["type"] == "list" and action["button"] == "Pilih pasar"
    assert [r["id"] for r in action["sections"][0]["rows"]] == [f"opt{i}" for i in range(1, 11)]


@pytest.mark.parametrize("count", [11, 18, 19, 25, 40])
def test_more_than_ten_options_page_through_lists_and_all_stay_reachable(count: int) -> None:
    long = menu(count)
    assert reachable(long) == [o.id for o in long.options]  # every one, in order
    first = render_menu(long, TO, T, 0)[-1]["interactive"]["action"]["sections"][0]["rows"]
    assert len(first) == 10 and page_request(first[-1]["id"])[1] == 1
    assert first[-1]["description"] == f"Nomor 10–{min(18, count)} dari {count}"
    last = render_menu(long, TO, T, len(pages(count)) - 1)[-1]["interactive"]
    assert last["action"]["sections"][0]["rows"][-1]["title"] == "‹ Kembali ke awal"
    assert "dari" in last["body"]["text"]  # "Pilihan nomor 19–25 dari 25..."


def test_the_eleven_markets_page_one_shows_nine_and_a_more_row() -> None:
    from bot.ordering.chat.resident import open_markets

    ctx = Context(the_app().engine, Session(key=f"whatsapp:{TO}"))
    markets = Menu(to=ctx.key, text="Mau belanja di pasar mana?", options=tuple(
        open_markets(ctx)), button="Pilih")
    assert len(markets.options) == 11
    rows = render(markets, TO, T)[-1]["interactive"]["action"]["sections"][0]["rows"]
    assert [r["title"] for r in rows[:9]] == [o.label for o in markets.options[:9]]
    kranji = next(r for r in rows if r["id"] == "kranji-baru")
    assert (kranji["title"], kranji["description"]) == ("Pasar Kranji Baru", "Bekasi Barat")
    assert rows[-1]["title"] == "Pilihan lainnya ›"
    assert reachable(markets) == [o.id for o in markets.options]


def test_interactive_body_over_1024_goes_ahead_as_text() -> None:
    summary = "Ringkasan pesanan\n" + "\n".join(f"{i}. telur 1 kg" for i in range(150))
    reply = Menu(to="whatsapp:1", text=f"{summary}\n\nSudah benar?",
                 options=(Option("yes", "Ya, pesan"), Option("cancel", "Batal")))
    bodies = render(reply, TO, T)
    assert [b["type"] for b in bodies] == ["text", "interactive"]
    assert bodies[0]["text"]["body"] == summary
    assert bodies[1]["interactive"]["body"]["text"] == "Sudah benar?"
    no_paragraph = Menu(to="whatsapp:1", text="x" * 3000, options=reply.options)
    bodies = render(no_paragraph, TO, T)
    assert bodies[0]["text"]["body"] == "x" * 3000
    assert bodies[-1]["interactive"]["body"]["text"] == "Silakan pilih:"
    assert all(check_limits(b) == [] for b in bodies)


def test_location_request_and_contact_question() -> None:
    (body,) = render(AskLocation(to="whatsapp:1", text="Ke mana diantar?"), TO, T)
    assert body["interactive"] == {"type": "location_request_message",
                                   "action": {"name": "send_location"},
                                   "body": {"text": "Ke mana diantar?"}}
    (body,) = render(AskContact(to="whatsapp:1", text="Nomor HP?", button="Kirim"), TO, T)
    assert body["type"] == "text" and body["text"]["body"] == "Nomor HP?"
    long = render(AskLocation(to="whatsapp:1", text="y" * 2000), TO, T)
    assert long[-1]["interactive"]["body"]["text"] == "Kirim lokasi Anda 📍, atau ketik alamatnya:"


def test_a_menu_that_cannot_be_interactive_becomes_numbered_text() -> None:
    odd = Menu(to="whatsapp:1", text="Pilih", options=(
        Option("x" * 300, "Satu"), Option("b", "Dua")))
    (body,) = render(odd, TO, T)
    assert body["text"]["body"] == "Pilih\n\n1. Satu\n2. Dua"


def test_empty_text_sends_nothing() -> None:
    assert render(Text(to="whatsapp:1", text="  "), TO, T) == []


def flow_menus(language: str) -> list[tuple[str, Reply]]:
    """Every question each state of each shipped flow asks, plus the engine's own menus."""
    engine = the_app().engine
    found: list[tuple[str, Reply]] = []
    for flow in engine.flows.values():
        for state in flow.states.values():
            if state.input is None or state.ask is None:
                continue
            ctx = Context(engine, Session(key=f"whatsapp:{TO}", lang=language))
            kind = engine.registry.kinds[state.input.kind]
            reply = kind.prompt(ctx, state.input, ctx.t(state.ask), None)
            found.append((f"{flow.name}.{state.name}", reply))
    ctx = Context(engine, Session(key=f"whatsapp:{TO}", lang=language))
    found.append(("language", engine._language_menu(ctx)))
    found.append(("resume", engine._menu(ctx, "engine.resume_question", ["continue", "restart"])))
    return found


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_menu_of_every_flow_fits_whatsapp(language: str) -> None:
    t = t_for(language)
    menus = flow_menus(language)
    assert {"main.menu", "order.market", "order.confirm", "order.edit_menu"} <= {
        name for name, _ in menus}
    for name, reply in menus:
        for text in (reply.text, reply.text + "\n\n" + "panjang " * 300):  # and a long one
            variant = replace(reply, text=text)
            bodies = [b for page in (all_pages(variant, t) if isinstance(variant, Menu)
                                     else [render(variant, TO, t)]) for b in page]
            assert bodies, name
            for body in bodies:
                assert check_limits(body) == [], (name, body)
            if isinstance(variant, Menu):
                assert reachable(variant, t) == [o.id for o in variant.options], name
                narrowed = replace(variant, options=variant.options[:2], button="")
                assert all(check_limits(b) == [] for b in render(narrowed, TO, t)), name


def test_limits_checker_catches_what_whatsapp_refuses() -> None:
    (body,) = render(menu(3, "Pilihan {}"), TO, T)
    body["interactive"]["action"]["buttons"][0]["reply"]["title"] = "x" * 21
    body["interactive"]["body"]["text"] = "y" * (MAX_BODY + 1)
    assert len(check_limits(body)) == 2


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=90), st.text(max_size=120)),
                min_size=1, max_size=45),
       st.text(max_size=1500), st.text(max_size=40))
def test_any_menu_fits_and_keeps_every_option(
        labels: list[tuple[str, str]], text: str, button: str) -> None:
    options = tuple(Option(f"id{i}", label, description)
                    for i, (label, description) in enumerate(labels))
    reply = Menu(to="whatsapp:1", text=text, options=options, button=button)
    assert reachable(reply) == [o.id for o in options]


def test_a_blank_list_button_label_falls_back_to_ours() -> None:
    """Found by the test above: a button label of only whitespace left the list's empty."""
    reply = menu(5, button="\r")
    assert render(reply, TO, T)[-1]["interactive"]["action"]["button"] == "Pilih"
