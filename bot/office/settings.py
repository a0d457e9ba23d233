"""The office's settings, read once from the config (bot/config.py DEFAULTS: ``office``,
``server.public_url``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.office.links import public_url


@dataclass(frozen=True)
class Settings:
    public_url: str  # no slash at the end
    link_minutes: float
    session_hours: float
    secret: str  # "" : a random one kept in the store
    language: str  # the pages' default language (config ``language``)

    @property
    def secure(self) -> bool:
        """Cookies only over HTTPS when the office is reached by HTTPS."""
        return self.public_url.startswith("https://")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        office = config.get("office") or {}
        return cls(
            public_url=public_url(config),
            link_minutes=float(office.get("link_minutes") or 10),
            session_hours=float(office.get("session_hours") or 12),
            secret=str(office.get("secret") or ""),
            language=str(config.get("language") or "id"),
        )
