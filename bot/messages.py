"""Neutral message types shared by the engine, the app and every adapter.

Nothing here knows about Telegram or WhatsApp: an adapter builds an `Incoming` from its
platform payload and renders each `Reply` within its platform's limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from bot.text_clean import clean


def _clean_strings(obj: Any, multiline: tuple[str, ...] = ()) -> None:
    """Clean every string field of a frozen dataclass in place (`bot.text_clean`): text
    enters here, from every adapter, so no lone surrogate or control character is stored."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, str):
            object.__setattr__(obj, f.name, clean(value, multiline=f.name in multiline))


def user_key(channel: str, user: str) -> str:
    """The key of a conversation: ``"telegram:123"``, ``"whatsapp:62812..."``."""
    return f"{channel}:{user}"


def split_key(key: str) -> tuple[str, str]:
    """Inverse of :func:`user_key`."""
    channel, _, user = key.partition(":")
    return channel, user


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    name: str = ""
    address: str = ""

    def __post_init__(self) -> None:
        _clean_strings(self)

    @property
    def possible(self) -> bool:
        """A real place: finite, latitude within ±90 and longitude within ±180."""
        try:
            lat, lon = float(self.latitude), float(self.longitude)
        except (TypeError, ValueError, OverflowError):  # an int of 400 digits, say
            return False
        return (math.isfinite(lat) and math.isfinite(lon)
                and -90 <= lat <= 90 and -180 <= lon <= 180)


@dataclass(frozen=True)
class Contact:
    phone: str
    name: str = ""

    def __post_init__(self) -> None:
        _clean_strings(self)


@dataclass(frozen=True, kw_only=True)
class Incoming:
    """One thing a user sent, whatever the platform."""

    channel: str
    user: str
    text: str | None = None
    choice: str | None = None  # the id of an option the user pressed
    prompt: str | None = None  # with a choice: the `Menu.prompt` of the menu it was on
    location: Location | None = None
    contact: Contact | None = None
    referral: str | None = None  # deep-link payload (t.me/bot?start=..., wa.me text)
    message_id: str | None = None  # platform message id, for de-duplication
    profile_name: str | None = None  # the name the platform shows for the user
    profile_phone: str | None = None  # a phone number the platform vouches for (WhatsApp)
    unsupported: str | None = None  # "photo", "sticker", "voice", ... (nothing else set)
    media: str | None = None  # platform media reference of an unsupported item, if any
    caption: str | None = None  # with a picture: the words sent with it, if any

    def __post_init__(self) -> None:
        _clean_strings(self, multiline=("text", "caption"))

    @property
    def key(self) -> str:
        return user_key(self.channel, self.user)


@dataclass(frozen=True)
class Option:
    """One choice in a menu: a stable id (what comes back) and a label (what is shown)."""

    id: str
    label: str
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Reply:
    """Something the bot says to one user (``to`` is a user key, not always the sender)."""

    to: str
    text: str


@dataclass(frozen=True, kw_only=True)
class Text(Reply):
    pass


@dataclass(frozen=True, kw_only=True)
class Menu(Reply):
    """Text with options. Adapters show buttons or lists, or else numbered text."""

    options: tuple[Option, ...] = field(default_factory=tuple)
    button: str = ""  # label of the button that opens a list, where a platform needs one
    # set by the engine on a menu that asks the user a question ("" on a notice): adapters
    # give a pressed option back with it (`Incoming.prompt`), so the engine can tell an
    # answer to the current question from a press on a menu it has moved past
    prompt: str = ""


@dataclass(frozen=True, kw_only=True)
class AskLocation(Reply):
    """Ask for a location pin (a typed answer stays allowed)."""

    button: str = ""


@dataclass(frozen=True, kw_only=True)
class AskContact(Reply):
    """Ask for a phone number, with a share-contact button where a platform has one."""

    button: str = ""


@dataclass(frozen=True, kw_only=True)
class Template(Reply):
    """A message to someone who may not have written lately (an announcement): where a
    platform allows only pre-approved messages then (WhatsApp, outside its 24-hour window),
    its adapter sends the approved template ``name`` in ``language``, its body filled with
    ``params`` in order; a platform without such a rule sends ``text``."""

    name: str
    language: str = ""
    params: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Photo(Reply):
    """A picture a user sent, passed on to someone else (``text`` is its caption).

    ``media`` is the platform's reference from `Incoming.media` (a Telegram file_id or a
    WhatsApp media id); an adapter that cannot send pictures sends the caption alone.
    """

    media: str = ""
