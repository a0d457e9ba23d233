"""What every adapter offers the app: send a reply to one of its users, start, stop, and
(for webhook messengers) the routes the server mounts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from bot.messages import Reply


class BaseAdapter(ABC):
    name: str = ""

    @abstractmethod
    async def send(self, reply: Reply) -> None:
        """Render and send one reply (``reply.to`` is a user key of this channel)."""

    def routes(self) -> list[Any]:
        """Starlette routes this adapter serves (webhooks); none by default."""
        return []

    async def start(self) -> None:
        """Begin receiving (polling, webhook registration)."""

    async def stop(self) -> None:
        """Stop receiving; finish what is in hand."""
