"""What every adapter offers the app: send a reply to one of its users, start, stop, and
(for webhook messengers) the routes the server mounts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from bot.messages import Reply

PROMPT_MARK = "~"


def with_prompt(value: str, prompt: str) -> str:
    """An option id (or an index) as it travels on a button of a menu with a prompt:
    ``~12~yes``. The engine decides what a press with its prompt means
    (bot/engine/presses.py); adapters only carry the prompt out and back."""
    return f"{PROMPT_MARK}{prompt}{PROMPT_MARK}{value}" if prompt else value


def read_prompt(data: str) -> tuple[str, str | None]:
    """Inverse of `with_prompt`: (option id or index, prompt or None)."""
    if data.startswith(PROMPT_MARK):
        prompt, sep, value = data[len(PROMPT_MARK):].partition(PROMPT_MARK)
        if sep and prompt.isdecimal() and value:
            return value, prompt
    return data, None


class BaseAdapter(ABC):
    name: str = ""

    @abstractmethod
    async def send(self, reply: Reply) -> bool | None:
        """Render and send one reply (``reply.to`` is a user key of this channel); False
        when it could not be sent (refused by the platform, or the platform unreachable:
        the adapter logs why), True or None when it went (or waits by the platform's rule
        for its user to write)."""

    def routes(self) -> list[Any]:
        """Starlette routes this adapter serves (webhooks); none by default."""
        return []

    async def preflight(self) -> None:
        """Before the server starts: raise ConfigError for settings the platform refuses
        (a bad token), so `serve` stops with one clear line; nothing by default."""

    async def start(self) -> None:
        """Begin receiving (polling, webhook registration)."""

    async def stop(self) -> None:
        """Stop receiving; finish what is in hand."""
