"""Rendering replies for Telegram: HTML escaping, splitting at 4096, callback_data within 64
bytes, keyboards; and every menu and message of the shipped flows within those limits."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.adapters.telegram_render import (
    MAX_CALLBACK_DATA,
    MAX_TEXT,
    Labels,
    Outgoing,
    Pressed,
    callback_data,
    chosen_keyboard,
    parse_callback,
    render,
    split_text,
    to_html,
    utf16_len,
)
from bot.app import App
from bot.engine.context import Context
from bot.engine.runtime import BUILTIN_OPTIONS
from bot.engine.session import Session
from bot.messages import AskContact, AskLocation, Menu, Option, Photo, Reply, Text
from tests import chat

CHAT = 42


def check_limits(outgoing: list[Outgoing]) -> None:
    for item in outgoing:
        text = item.kwargs.get("text") or item.kwargs.get("caption") or ""
        plain = text.replace("<b>", "").replace("</b>", "")
        plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert 0 < utf16_len(plain) <= MAX_TEXT
        markup = item.kwargs.get("reply_markup")
        for row in getattr(markup, "inline_keyboard", ()):
            assert 1 <= len(row) <= 2
            for button in row:
                assert len(button.callback_data.encode()) <= MAX_CALLBACK_DATA


# -- text -----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "html"), [
    ("Pesanan *KRB-1127-001* diterima", "Pesanan <b>KRB-1127-001</b> diterima"),
    ("a < b > c & d", "a &lt; b &gt; c &amp; d"),
    ("<b>bukan tag</b>", "&lt;b&gt;bukan tag&lt;/b&gt;"),
    ("rw05_jatibening [RT 03] _miring_", "rw05_jatibening [RT 03] _miring_"),
    ("2*3 kg, harga 5*", "2*3 kg, harga 5*"),  # not a pair: left as typed
    ("* bukan * tebal", "* bukan * tebal"),
    ("*a < b & c*", "<b>a &lt; b &amp; c</b>"),
    ("*satu\nbaris*", "*satu\nbaris*"),  # bold never spans lines (a split stays valid)
    ("&amp; sudah", "&amp;amp; sudah"),
])
def test_text_is_escaped_html_with_our_bold(text: str, html: str) -> None:
    assert to_html(text) == html


def test_a_long_text_is_split_on_lines_within_4096() -> None:
    lines = [f"{i}. bawang merah 1/4 kg <murah> & *segar* 🧅" for i in range(400)]
    text = "\n".join(lines)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(utf16_len(c) <= MAX_TEXT for c in chunks)
    assert "\n".join(chunks) == text  # cut only between lines, nothing lost
    assert all(c.split("\n")[0] in lines for c in chunks)


def test_one_line_longer_than_4096_is_cut_at_a_space_and_emoji_count_double() -> None:
    chunks = split_text("kata " * 2000)
    assert all(utf16_len(c) <= MAX_TEXT for c in chunks)
    assert " ".join(c.strip() for c in chunks).split() == ["kata"] * 2000
    emoji = split_text("🧺" * 3000)  # 2 UTF-16 units each
    assert [utf16_len(c) for c in emoji] == [4096, 1904]


def test_a_split_text_goes_out_as_several_messages_keyboard_on_the_last() -> None:
    menu = Menu(to="telegram:42", text="x\n" * 5000, options=(Option("yes", "Ya"),))
    out = render(menu, CHAT)
    assert len(out) == 3
    assert [("reply_markup" in o.kwargs) for o in out] == [False, False, True]
    check_limits(out)


# -- buttons --------------------------------------------------------------------------
def test_callback_data_is_the_option_id_or_an_index_when_the_id_is_too_long() -> None:
    assert callback_data(Option("kranji-baru", "Pasar Kranji Baru"), 1) == "c:kranji-baru"
    assert callback_data(Option("x" * 62, "X"), 3) == "c:" + "x" * 62
    assert callback_data(Option("x" * 63, "X"), 3) == "i:3"
    assert callback_data(Option("pasar-" + "é" * 30, "É"), 12) == "i:12"  # bytes, not chars
    # a question's menu carries its prompt, within the same 64 bytes
    assert callback_data(Option("yes", "Ya"), 0, "17") == "c:~17~yes"
    assert callback_data(Option("x" * 59, "X"), 3, "17") == "i:~17~3"
    assert parse_callback("c:kranji-baru") == Pressed("c", "kranji-baru")
    assert parse_callback("c:~17~yes") == Pressed("c", "yes", "17")
    assert parse_callback("i:12") == Pressed("i", "12")
    assert parse_callback("i:~17~3") == Pressed("i", "3", "17")
    assert parse_callback("x") == Pressed("x")
    for junk in (None, "", "c:", "i:abc", "{json}", "zz:1", "i:~17~"):
        assert parse_callback(junk) is None


def test_short_labels_two_a_row_long_labels_one() -> None:
    short = Menu(to="telegram:42", text="?", options=tuple(
        Option(i, label) for i, label in [("yes", "Ya, pesan"), ("edit", "Ubah"),
                                          ("cancel", "Batal")]))
    [out] = render(short, CHAT)
    rows = out.kwargs["reply_markup"].inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["Ya, pesan", "Ubah"], ["Batal"]]
    long = Menu(to="telegram:42", text="?", options=(
        Option("a", "Pasar Harapan Jaya"), Option("b", "Pasar Baru")))
    [out] = render(long, CHAT)
    assert [len(r) for r in out.kwargs["reply_markup"].inline_keyboard] == [1, 1]


def test_a_menu_with_long_and_unicode_ids_stays_within_64_bytes() -> None:
    options = tuple(Option(f"{'pasar-tradisional-' * 5}{i}", f"Pilihan {i}") for i in range(30))
    options += (Option("ñ" * 40, "Eñe"), Option("ok", "Oke"))
    out = render(Menu(to="telegram:42", text="Pilih", options=options), CHAT)
    check_limits(out)
    datas = [b.callback_data for row in out[-1].kwargs["reply_markup"].inline_keyboard
             for b in row]
    assert datas[-1] == "c:ok" and datas[0] == "i:0" and len(set(datas)) == len(options)


# -- location, contact, keyboards ------------------------------------------------------
def test_location_and_contact_requests_are_one_time_reply_keyboards() -> None:
    [where] = render(AskLocation(to="telegram:42", text="Alamat?", button="Kirim lokasi"), CHAT)
    markup = where.kwargs["reply_markup"]
    assert markup.one_time_keyboard and markup.keyboard[0][0].request_location
    assert markup.keyboard[0][0].text == "Kirim lokasi" and where.reply_keyboard is True
    [phone] = render(AskContact(to="telegram:42", text="HP?"), CHAT, labels=Labels())
    assert phone.kwargs["reply_markup"].keyboard[0][0].request_contact
    assert phone.kwargs["reply_markup"].keyboard[0][0].text == Labels().share_contact


def test_a_text_after_a_request_removes_the_keyboard_only_when_one_shows() -> None:
    [plain] = render(Text(to="telegram:42", text="Atas nama siapa?"), CHAT)
    assert "reply_markup" not in plain.kwargs and plain.reply_keyboard is None
    [removing] = render(Text(to="telegram:42", text="Atas nama siapa?"), CHAT,
                        keyboard_showing=True)
    assert removing.kwargs["reply_markup"].remove_keyboard and removing.reply_keyboard is False


def test_a_menu_after_a_request_closes_the_keyboard_then_sends_its_buttons() -> None:
    menu = Menu(to="telegram:42", text="Ringkasan", options=(Option("yes", "Ya"),))
    summary, buttons = render(menu, CHAT, keyboard_showing=True, labels=Labels(choose="Pilih"))
    assert summary.kwargs["reply_markup"].remove_keyboard and summary.reply_keyboard is False
    assert buttons.kwargs["text"] == "Pilih" and buttons.menu == menu.options


def test_a_photo_goes_by_file_id_with_its_caption() -> None:
    [photo] = render(Photo(to="telegram:42", text="Tukar *tomat*", media="AgAC-file"), CHAT)
    assert photo.method == "sendPhoto"
    assert photo.kwargs == {"chat_id": CHAT, "photo": "AgAC-file",
                            "caption": "Tukar <b>tomat</b>", "parse_mode": "HTML"}
    long = render(Photo(to="telegram:42", text="a\n" * 700, media="F"), CHAT)
    assert [o.method for o in long] == ["sendPhoto", "sendMessage"]
    [caption] = render(Photo(to="telegram:42", text="Foto", media=""), CHAT)
    assert caption.method == "sendMessage"


# -- every shipped flow ------------------------------------------------------------------
def shipped_replies(app: App) -> list[Reply]:
    """The question of every state that asks one, as it is put, in every language; the
    engine's own menus; every catalog message as a text."""
    engine, replies = app.engine, []
    for lang in app.i18n.languages:
        session = Session(key="telegram:42", lang=lang)
        ctx = Context(engine, session, now=time.time())
        params: dict[str, Any] = {}
        for flow in engine.flows.values():
            for state in flow.states.values():
                if state.input is None or state.ask is None:
                    continue
                kind = engine.registry.kinds[state.input.kind]
                replies.append(kind.prompt(ctx, state.input, ctx.t(state.ask, **params)))
        options = tuple(Option(a, ctx.t(label)) for a, label in BUILTIN_OPTIONS.items())
        replies.append(Menu(to=ctx.key, text=ctx.t("engine.resume_question"), options=options))
        languages = tuple(Option(x, app.i18n.language_name(x)) for x in app.i18n.languages)
        replies.append(Menu(to=ctx.key, text=ctx.t("engine.choose_language"), options=languages))
        for message_id in app.i18n.catalogs[lang].messages:
            replies.append(Text(to=ctx.key, text=ctx.t(message_id)))
    return replies


def test_every_menu_and_message_of_the_shipped_flows_fits_telegram() -> None:
    app = App(chat.test_config())
    replies = shipped_replies(app)
    menus = [r for r in replies if isinstance(r, Menu)]
    assert len(menus) >= 8 and any(len(m.options) == 11 for m in menus)  # the markets
    for reply in replies:
        for showing in (False, True):
            out = render(reply, CHAT, keyboard_showing=showing)
            check_limits(out)
            if isinstance(reply, Menu) and reply.options:
                buttons = [b for row in out[-1].kwargs["reply_markup"].inline_keyboard
                           for b in row]
                assert [b.text for b in buttons] == [o.label for o in reply.options]
                assert all(b.callback_data == f"c:{o.id}"
                           for b, o in zip(buttons, reply.options, strict=True))
    app.close()


def test_a_lone_surrogate_in_stored_text_does_not_stop_the_reply() -> None:
    """Text stored before it was cleaned where it enters may hold one: it goes out as
    U+FFFD in the text, a button label and a request keyboard; an id holding one goes by
    index."""
    menu = Menu(to="telegram:42", text="Halo Bu \ud800Ani", options=(
        Option("x\udfff", "Pasar \ud800Baru"), Option("b", "B")))
    [out] = render(menu, CHAT)
    assert out.kwargs["text"] == "Halo Bu \ufffdAni"
    buttons = out.kwargs["reply_markup"].inline_keyboard[0]
    assert buttons[0].text == "Pasar \ufffdBaru" and buttons[0].callback_data == "i:0"
    [ask] = render(AskLocation(to="telegram:42", text="\ud800?", button="\udc00"), CHAT)
    assert ask.kwargs["reply_markup"].keyboard[0][0].text == "\ufffd"
    for item in [out, ask]:
        item.kwargs["text"].encode("utf-8")  # Telegram takes UTF-8 only
    assert chosen_keyboard("\ud800Ya").inline_keyboard[0][0].text == "✓ \ufffdYa"
    check_limits([out, ask])
