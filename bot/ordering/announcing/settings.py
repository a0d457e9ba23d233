"""The ``announcements`` config section, read once per announcement, and the paces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config import DEFAULTS as CONFIG_DEFAULTS
from bot.pace import Pace, rate_of

DEFAULTS: Mapping[str, Any] = CONFIG_DEFAULTS["announcements"]
RATE_KEYS = {"telegram": "telegram_per_second", "whatsapp": "whatsapp_per_second"}


@dataclass(frozen=True)
class Settings:
    """The ``announcements`` section of the config."""

    days: float = 30
    rates: Mapping[str, float] | None = None  # channel -> messages a second
    in_flight: int = 4
    template: str = ""
    template_language: str = "id"
    max_days: float = 30  # sessions.expire_after_days

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Settings:
        section = {**DEFAULTS, **(config.get("announcements") or {})}
        sessions = config.get("sessions") or {}
        return cls(
            days=max(rate_of(section["days"], 30), 0.0),
            rates={channel: rate_of(section[key], DEFAULTS[key])
                   for channel, key in RATE_KEYS.items()},
            in_flight=max(int(rate_of(section["in_flight"], 4)), 1),
            template=str(section["whatsapp_template"] or ""),
            template_language=str(section["whatsapp_template_language"] or "id"),
            max_days=max(rate_of(sessions.get("expire_after_days", 30), 30), 0.0),
        )


def pacers(settings: Settings) -> dict[str, Pace]:
    """One `Pace` per platform at the configured rates (share them: see `bot.pace`)."""
    return {channel: Pace(rate) for channel, rate in (settings.rates or {}).items()}
