"""The conversation on an order (issue 16 item 1): the resident and the coordinator holding
the order write to each other through the bot, labelled with the order code and the
writer's role, never with a phone number; it closes when the order is paid or cancelled;
what cannot go now waits and goes when its recipient writes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.messages import Menu, Photo
from bot.ordering.chat.relay import hide_phones
from bot.ordering.domain.order import Order
from bot.ordering.reports.export import COLUMNS, as_json, rows
from tests.chat import ADDRESS, ChatBot

KOORD = "koord-kranji-1"
RESIDENT_PHONE = "0812-3456-7890"


def place(bot: ChatBot, items: str, user: str = "warga") -> str:
    """A resident's order at Pasar Kranji Baru, whatever the order flow asks; its code."""
    for line in ["menu", "1", "kranji baru", items, "selesai", ADDRESS]:
        bot.say(line, user)
    answers = {"order.name": "Bu Ani", "order.phone": RESIDENT_PHONE, "order.confirm": "ya"}
    for _ in range(5):
        state = bot.state(user)
        if state not in answers:
            break
        bot.say(answers[state], user)
    return bot.orders(user)[-1]["code"]


def thread(bot: ChatBot, code: str) -> tuple:
    return Order.from_record(bot.store.get_order(code)).thread


def test_resident_asks_coordinator_answers_photo_then_payment_closes_the_thread() -> None:
    bot = ChatBot()
    bot.say("halo", KOORD)
    code = place(bot, "ayam 1 ekor, cabe rawit 5rb")
    bot.push(KOORD, choice=f"claim:{code}")

    # the resident opens the order's card and presses "Tanya koordinator"
    bot.say(code)
    assert "talk" in bot.options()
    bot.push("warga", choice="talk")
    assert bot.state() == "status.talk_write"
    bot.say("bu, ayamnya minta yang kecil aja ya")
    assert "Terkirim" in bot.text()
    relayed = bot.to(KOORD)
    assert len(relayed) == 1 and isinstance(relayed[0], Menu)
    assert f"*{code}* · Warga (Bu Ani)" in relayed[0].text
    assert "ayamnya minta yang kecil" in relayed[0].text
    assert [o.id for o in relayed[0].options] == [f"talk:{code}"]

    # the coordinator answers with the reply button, from wherever they are
    bot.push(KOORD, choice=f"talk:{code}")
    assert bot.state(KOORD) == "coordinator.talk_write"
    bot.say("cabe rawit habis, mau diganti cabe merah?", KOORD)
    to_resident = bot.text("warga")
    assert f"*{code}* · Koordinator (Pak Budi)" in to_resident
    assert "cabe rawit habis" in to_resident

    # the resident sends a photo (still in the conversation): it goes by its reference
    bot.push("warga", unsupported="photo", media="photo-ref-1", caption="yang begini ya")
    photos = [r for r in bot.to(KOORD) if isinstance(r, Photo)]
    assert len(photos) == 1 and photos[0].media == "photo-ref-1"
    assert code in photos[0].text and "yang begini ya" in photos[0].text

    stored = thread(bot, code)
    assert [(m.role, m.text, m.photo) for m in stored] == [
        ("resident", "bu, ayamnya minta yang kecil aja ya", None),
        ("coordinator", "cabe rawit habis, mau diganti cabe merah?", None),
        ("resident", "yang begini ya", "photo-ref-1"),
    ]
    assert all(m.delivered_at for m in stored)
    # the export shows the thread (and the web office reads `Order.thread`)
    exported = as_json(Order.from_record(bot.store.get_order(code)))["thread"]
    assert [(m["role"], m["photo"]) for m in exported] == [
        ("resident", None), ("coordinator", None), ("resident", "photo-ref-1")]
    assert "resident: yang begini ya [foto]" in rows(Order.from_record(
        bot.store.get_order(code)))[0][COLUMNS.index("thread")]

    # the coordinator finishes the order: paid closes the conversation, and says so
    bot.say("selesai", KOORD)
    for step in ("shop", "prices"):
        bot.push(KOORD, choice=step)
    bot.say("Rp45.000", KOORD)
    bot.say("Rp8.000", KOORD)
    bot.push(KOORD, choice="courier")
    bot.say("Pak Joko 081311112222", KOORD)
    bot.push(KOORD, choice="delivered")
    bot.push(KOORD, choice="paid")
    bot.say("pas", KOORD)
    bot.say("ya", KOORD)
    assert "Percakapan pesanan" in bot.text("warga") and "ditutup" in bot.text("warga")
    assert "ditutup" in bot.text(KOORD)
    # the resident, still in the conversation, is told it is closed and leaves it
    bot.say("makasih bu")
    assert "sudah ditutup" in bot.text()
    assert bot.to(KOORD) == []
    assert len(thread(bot, code)) == 3
    # and the card no longer offers it
    bot.say(code)
    assert "talk" not in bot.options()


def test_resident_with_two_open_orders_is_asked_which() -> None:
    bot = ChatBot()
    bot.say("halo", KOORD)
    first = place(bot, "telur 1 kg")
    second = place(bot, "tomat 1 kg")
    bot.push(KOORD, choice=f"claim:{second}")
    bot.say("menu")
    bot.say("tanya koordinator")
    assert bot.state() == "status.pick"
    assert bot.options() == [f"view:{first}", f"view:{second}", "done"]
    bot.push("warga", choice=f"view:{second}")
    assert bot.state() == "status.talk_write"
    assert second in bot.text()
    bot.say("tomatnya yang merah ya")
    assert "tomatnya yang merah" in bot.text(KOORD) and second in bot.text(KOORD)
    assert [m.text for m in thread(bot, second)] == ["tomatnya yang merah ya"]
    assert thread(bot, first) == ()

    # with one open order there is nothing to ask: straight to the message
    bot.say("menu")
    bot.say(f"batalkan {first}")
    bot.say("ya")
    bot.say("menu")
    bot.say("tanya koordinator")
    assert bot.state() == "status.talk_write" and second in bot.text()


def test_message_to_unreachable_coordinator_waits_and_goes_when_they_write() -> None:
    bot = ChatBot()
    bot.say("halo", KOORD)
    code = place(bot, "telur 1 kg")
    bot.push(KOORD, choice=f"claim:{code}")
    # the coordinator's conversation is gone (idle past sessions.expire_after_days): the
    # bot can no longer write to them until they write again
    bot.clock.advance(31 * 86400)
    bot.say(code)  # the resident keeps their conversation going
    bot.app.housekeeping(bot.clock() - 1)
    assert bot.session(KOORD) == {}
    bot.push("warga", choice="talk")
    bot.say("bu, jam berapa diantar?")
    assert "sedang tidak aktif" in bot.text()
    assert bot.to(KOORD) == []
    assert thread(bot, code)[0].waiting

    bot.say("halo", KOORD)  # the coordinator writes: the waiting message goes first
    first = bot.to(KOORD)[0]
    assert code in first.text and "jam berapa diantar" in first.text
    assert not thread(bot, code)[0].waiting
    bot.say("halo lagi", KOORD)  # delivered once
    assert "jam berapa diantar" not in bot.text(KOORD)


def test_message_before_any_coordinator_waits_for_the_one_who_claims() -> None:
    bot = ChatBot()
    code = place(bot, "telur 1 kg")
    bot.say("tanya koordinator")
    bot.say("bantuan")  # the help of the talk state, then its question again
    assert "pesanan ini" in bot.text() and "**" not in bot.text()
    assert bot.state() == "status.talk_write"
    bot.say("telurnya yang omega ya")
    assert "belum diambil koordinator" in bot.text()
    bot.say("halo", KOORD)
    bot.push(KOORD, choice=f"claim:{code}")
    assert "telurnya yang omega" in bot.text(KOORD)
    assert not thread(bot, code)[0].waiting


def test_only_the_holder_may_message_the_resident() -> None:
    bot = ChatBot()
    bot.say("halo", KOORD)
    bot.say("halo", "koord-kranji-2")
    code = place(bot, "telur 1 kg")
    bot.push(KOORD, choice=f"claim:{code}")
    bot.say(f"balas {code}", "koord-kranji-2")
    assert "Hanya koordinator yang memegang" in bot.text("koord-kranji-2")
    assert bot.to("warga") == []


# -- no phone number of the other side in anything relayed -------------------------------
_SEPARATORS = st.sampled_from(["", " ", "-", ".", "  "])
_WORDS = st.sampled_from(["bu", "telur", "Rp15.000", "2 kg", "jam 10", "ok", "no 12",
                          "RT 03/RW 05", "wa", "hp", "ke", "aja", "12.500", "1/2"])


@st.composite
def phone_in_text(draw: st.DrawFn) -> tuple[str, str]:
    """A text with a phone number written somehow, and the number's national digits."""
    national = "8" + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=8,
                                           max_size=11)))
    prefix = draw(st.sampled_from(["0", "62", "+62", "+62 ", "62-"]))
    sep = draw(_SEPARATORS)
    chunks = [national[i:i + 4] for i in range(0, len(national), 4)]
    written = prefix + sep.join(chunks)
    before = draw(st.lists(_WORDS, max_size=4))
    after = draw(st.lists(_WORDS, max_size=4))
    return " ".join([*before, written, *after]), national


@settings(max_examples=100, deadline=None)
@given(phone_in_text())
def test_hide_phones_leaves_no_number(case: tuple[str, str]) -> None:
    text, national = case
    hidden, found = hide_phones(text)
    assert found
    assert national not in "".join(c for c in hidden if c.isdigit())
    assert "Rp15.000" in hidden if "Rp15.000" in text else True  # prices stay


_TALKING: dict[str, Any] = {}


def talking() -> tuple[ChatBot, str]:
    """One bot for every example: an order claimed, both sides in its conversation."""
    if not _TALKING:
        bot = ChatBot()
        bot.say("halo", KOORD)
        code = place(bot, "telur 1 kg")
        bot.push(KOORD, choice=f"claim:{code}")
        bot.push("warga", choice=f"talk:{code}")
        bot.push(KOORD, choice=f"talk:{code}")
        _TALKING.update(bot=bot, code=code)
    return _TALKING["bot"], _TALKING["code"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(phone_in_text(), min_size=1, max_size=3))
def test_no_phone_of_the_other_side_in_relayed_messages(cases: list) -> None:
    """Whatever either side writes, the replies the other side gets carry neither the
    writer's phone numbers (the order's, their profile's) nor any phone-like number."""
    bot, code = talking()
    resident_digits = "".join(c for c in RESIDENT_PHONE if c.isdigit())[1:]
    for text, national in cases:
        for writer, reader in (("warga", KOORD), (KOORD, "warga")):
            bot.say(text, writer)
            seen = "".join(c for r in bot.to(reader) for c in r.text if c.isdigit())
            assert bot.to(reader), "nothing relayed"
            assert national not in seen
            assert writer != "warga" or resident_digits not in seen
    # what was stored is what was relayed: no number there either
    for message in thread(bot, code)[-2 * len(cases):]:
        digits = "".join(c for c in message.text if c.isdigit())
        assert resident_digits not in digits
        assert all(n not in digits for _, n in cases)


def test_a_plain_reply_goes_to_the_coordinator_who_wrote_lately() -> None:
    bot = ChatBot()
    bot.say("halo", KOORD)
    code = place(bot, "cabe rawit 5rb")
    bot.push(KOORD, choice=f"claim:{code}")
    bot.push(KOORD, choice=f"talk:{code}")
    bot.say("cabe rawit habis, mau diganti cabe merah?", KOORD)
    assert bot.session()["flow"] is None  # the resident is not in any conversation
    # a greeting or a menu wish is not a reply: it gets the menu as always
    bot.say("halo")
    assert bot.state() == "main.menu" and bot.to(KOORD) == []
    bot.say("batal")
    # a plain answer goes to the order's coordinator, no button needed
    bot.say("boleh bu, cabe merah aja")
    assert "Terkirim" in bot.text() and bot.state() == "status.talk_more"
    assert "boleh bu, cabe merah aja" in bot.text(KOORD) and code in bot.text(KOORD)
    bot.say("selesai")
    bot.say("menu")
    # hours later the same words are not taken for a reply
    bot.clock.advance(7 * 3600)
    bot.say("batal")
    bot.say("boleh")
    assert bot.to(KOORD) == [] and bot.state() == "main.menu"


def test_a_coordinators_plain_reply_goes_to_the_resident_who_wrote() -> None:
    bot = ChatBot()
    bot.say("halo", KOORD)
    code = place(bot, "ayam 1 ekor")
    bot.push(KOORD, choice=f"claim:{code}")
    bot.say("menu", KOORD)  # at the coordinator's menu
    bot.say("tanya koordinator")
    bot.say("ayamnya dipotong 12 ya bu")
    assert "dipotong 12" in bot.text(KOORD)
    bot.say("halo", KOORD)  # a greeting still opens the menu
    assert "talk" not in bot.state(KOORD) and bot.to("warga") == []
    bot.say("siap bu, dipotong 12", KOORD)
    assert "siap bu, dipotong 12" in bot.text("warga") and code in bot.text("warga")
    assert bot.state(KOORD) == "coordinator.talk_more"
