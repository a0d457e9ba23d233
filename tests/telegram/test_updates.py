"""What else arrives from Telegram: pictures, stickers and voice notes, edits, group chats;
and what goes wrong on the way out: 429 with retry_after, network errors."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.app import App
from tests.telegram.fakeapi import TOKEN, FakeBotAPI
from tests.telegram.residents import Resident

FILE = {"file_id": "AgACAgIAAxkBAAIB", "file_unique_id": "AQADAgAT"}
ATTACHMENTS: dict[str, Any] = {
    "photo": [{**FILE, "width": 90, "height": 90}, {**FILE, "width": 800, "height": 800}],
    "sticker": {**FILE, "width": 512, "height": 512, "is_animated": False, "is_video": False,
                "type": "regular"},
    "voice": {**FILE, "duration": 4},
    "document": {**FILE, "file_name": "daftar.pdf"},
    "video_note": {**FILE, "length": 240, "duration": 5},
}


@pytest.mark.parametrize("kind", list(ATTACHMENTS))
async def test_what_the_bot_cannot_read_gets_a_short_answer(
    fake: FakeBotAPI, polling: App, kind: str
) -> None:
    ani = Resident(fake, 801)
    await ani.say("halo", expect="Apa yang ingin")
    update = ani.message(**{kind: ATTACHMENTS[kind]}, caption="ini daftarnya")
    [answer] = await ani.send(update, expect="belum bisa membaca")
    assert "pilih salah satu tombol" in answer.text  # what it does understand, here
    assert answer.buttons()  # and the question again


async def test_an_edited_message_is_ignored(fake: FakeBotAPI, polling: App) -> None:
    ani = Resident(fake, 802)
    await ani.say("halo", expect="Apa yang ingin")
    mark = fake.mark()
    edit = ani.message(text="1")
    edit["edited_message"] = edit.pop("message") | {"edit_date": 1}
    await fake.queue(edit)
    await ani.say("bantuan", expect="")  # handled after the edit: chats keep their order
    assert all("pasar mana" not in c.text for c in fake.sent(ani.id, mark))


async def test_in_a_group_only_a_command_addressed_to_the_bot_is_answered(
    fake: FakeBotAPI, polling: App
) -> None:
    group = {"id": -100200300, "type": "supergroup", "title": "Warga RW 05"}
    ani = Resident(fake, 803)

    def in_group(text: str) -> dict[str, Any]:
        update = ani.text_update(text)
        update["message"]["chat"] = group
        return update

    mark = fake.mark()
    await fake.queue(in_group("halo semua, ada yang ke pasar?"))
    await fake.queue(in_group("/start"))  # not addressed to us by name
    await fake.queue(in_group("/start@PasarDaringBot"))
    [answer] = await fake.wait_reply(group["id"], mark, "t.me/PasarDaringBot")
    assert answer.text.startswith("Halo!")
    assert fake.sent(group["id"]) == [answer]
    assert polling.store.get_session(f"telegram:{group['id']}") is None


# python-telegram-bot 22 warns about its own RetryAfter(int) while raising it
@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
async def test_a_429_is_retried_after_retry_after_and_the_message_arrives(
    fake: FakeBotAPI, polling: App
) -> None:
    fake.fail_next("sendMessage", 429, retry_after=1)
    ani = Resident(fake, 804)
    await ani.say("halo", expect="Apa yang ingin")
    tries = fake.called("sendMessage")
    assert [c.status for c in tries] == [429, 200]
    assert tries[0].text == tries[1].text


async def test_network_errors_are_retried_with_backoff(fake: FakeBotAPI, polling: App) -> None:
    fake.fail_next("sendMessage", 502)
    fake.fail_next("sendMessage", 500)
    ani = Resident(fake, 805)
    await ani.say("halo", expect="Apa yang ingin")
    assert [c.status for c in fake.called("sendMessage")] == [502, 500, 200]


async def test_a_send_that_keeps_failing_is_logged_and_the_bot_goes_on(
    fake: FakeBotAPI, polling: App, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(4):  # the first try and its 3 retries
        fake.fail_next("sendMessage", 502)
    ani = Resident(fake, 806)
    mark = fake.mark()
    await fake.queue(ani.text_update("halo"))
    await fake.wait_for(lambda: len(fake.called("sendMessage", mark)) == 4, "four tries")
    await ani.say("bantuan", expect="")  # the next message is answered
    [failed] = [r for r in caplog.records if "a reply was not sent" in r.getMessage()]
    assert "NetworkError" in failed.getMessage() and not failed.exc_info  # one line


async def test_the_token_stays_out_of_the_logs(
    fake: FakeBotAPI, polling: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, PTB's, the transport's
    ani = Resident(fake, 807)
    await ani.say("halo", expect="Apa yang ingin")
    assert any("sendMessage" in r.getMessage() for r in caplog.records)
    assert not any(TOKEN in r.getMessage() for r in caplog.records)


async def test_group_messages_and_presses_reach_the_group_hook(
    fake: FakeBotAPI, polling: App
) -> None:
    """The hook a coordinators' group (issue 7) plugs into."""
    adapter = polling.adapters["telegram"]
    seen: list[tuple[Any, str]] = []

    async def hook(incoming: Any, sender: str) -> bool:
        seen.append((incoming, sender))
        await fake.notify()
        return True

    adapter.group_handler = hook
    group = {"id": -100400500, "type": "supergroup", "title": "Koordinator Kranji"}
    koord = Resident(fake, 810, "Sari")
    text = koord.text_update("/ambil KRB-1127-001")
    text["message"]["chat"] = group
    await fake.queue(text)
    press = fake.new_update(callback_query={
        "id": "q1", "from": koord.user, "chat_instance": "g", "data": "c:claim",
        "message": {"message_id": 5, "date": 1, "chat": group, "text": "Pesanan baru"}})
    await fake.queue(press)
    await fake.wait_for(lambda: len(seen) == 2, "both at the hook")
    (message, by), (pressed, by_too) = seen
    assert message.user == "-100400500" and message.text == "/ambil KRB-1127-001"
    assert pressed.choice == "claim" and by == by_too == "telegram:810"
    assert fake.sent(group["id"]) == []  # the hook answered them; the bot said nothing
