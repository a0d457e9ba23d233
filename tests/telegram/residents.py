"""Residents chatting with the bot through the fake Bot API: what they type and press.

``await ani.say("kranji baru", expect="daftar belanja")`` sends an update (queued for
getUpdates, or posted to the webhook) and waits for the bot's message that contains the
expected words; ``await ani.press("Pasar Kranji Baru", expect=...)`` presses a button of the
latest inline keyboard the bot sent her, with the callback_data the bot put there.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.telegram.fakeapi import Call, FakeBotAPI

Deliver = Callable[[dict[str, Any]], Awaitable[None]]
_query_ids = itertools.count(1)


class Resident:
    def __init__(self, fake: FakeBotAPI, user_id: int, name: str = "Ani",
                 deliver: Deliver | None = None) -> None:
        self.fake, self.id, self.name = fake, user_id, name
        self.deliver: Deliver = deliver or fake.queue

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": self.name, "language_code": "id"}

    def message(self, **content: Any) -> dict[str, Any]:
        return self.fake.new_update(message={
            "message_id": self.fake.new_message_id(), "date": int(time.time()),
            "chat": {"id": self.id, "type": "private", "first_name": self.name},
            "from": self.user, **content,
        })

    def text_update(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.message(**content)

    async def send(self, update: dict[str, Any], expect: str) -> list[Call]:
        mark = self.fake.mark()
        await self.deliver(update)
        return await self.fake.wait_reply(self.id, mark, expect)

    async def say(self, text: str, expect: str) -> list[Call]:
        return await self.send(self.text_update(text), expect)

    def last_keyboard(self) -> Call:
        menus = [c for c in self.fake.sent(self.id) if c.buttons()]
        assert menus, f"the bot sent {self.id} no inline keyboard"
        return menus[-1]

    def press_update(self, label: str, menu: Call | None = None) -> dict[str, Any]:
        menu = menu or self.last_keyboard()
        buttons = menu.buttons()
        assert label in buttons, f"no button {label!r} in {list(buttons)}"
        message = self.fake.messages[(self.id, menu.result["message_id"])]
        return self.fake.new_update(callback_query={
            "id": str(next(_query_ids)), "from": self.user, "chat_instance": f"ci{self.id}",
            "data": buttons[label], "message": dict(message),
        })

    async def press(self, label: str, expect: str, menu: Call | None = None) -> list[Call]:
        return await self.send(self.press_update(label, menu), expect)

    async def share_location(self, latitude: float, longitude: float, expect: str) -> list[Call]:
        update = self.message(location={"latitude": latitude, "longitude": longitude})
        return await self.send(update, expect)

    async def share_contact(self, phone: str, expect: str) -> list[Call]:
        update = self.message(contact={"phone_number": phone, "first_name": self.name,
                                       "user_id": self.id})
        return await self.send(update, expect)
