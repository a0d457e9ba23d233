"""WhatsApp Cloud API webhook payloads -> neutral `Incoming` messages and status events.

A POST carries ``entry[].changes[].value`` with ``messages`` (what users sent), ``statuses``
(what happened to what we sent) and ``contacts`` (the senders' profiles), in any mix and
number. Every message of every entry and change is read. Each message type has one small
function in `_MESSAGE_TYPES`; a type not in the table becomes ``unsupported``, never an
exception. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.adapters.base import read_prompt
from bot.messages import Contact, Incoming, Location
from bot.text_clean import clean

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
SIGNATURE_PREFIX = "sha256="


def valid_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Is ``header`` (``X-Hub-Signature-256``) the HMAC-SHA256 of ``body`` keyed by
    ``secret``? Constant-time compare; a missing header or secret is never valid."""
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len(SIGNATURE_PREFIX):].strip().lower())


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta would send with ``body``."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class StatusEvent:
    """What happened to a message we sent: sent, delivered, read or failed."""

    user: str
    message_id: str
    status: str
    errors: tuple[tuple[int, str], ...] = ()  # (code, title)

    @property
    def codes(self) -> set[int]:
        return {code for code, _ in self.errors}


@dataclass
class Parsed:
    messages: list[Incoming] = field(default_factory=list)
    statuses: list[StatusEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # logged by the caller


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _part(message: dict[str, Any], name: str) -> dict[str, Any]:
    value = message.get(name)
    return value if isinstance(value, dict) else {}


# -- one function per message type: the Incoming fields it fills (None: ignore it) --------
Fields = dict[str, Any] | None


def _text(message: dict[str, Any]) -> Fields:
    body = _part(message, "text").get("body")
    return {"text": body} if isinstance(body, str) else {"unsupported": "text"}


def _interactive(message: dict[str, Any]) -> Fields:
    interactive = _part(message, "interactive")
    kind = interactive.get("type")
    if kind in ("button_reply", "list_reply"):
        chosen = interactive.get(kind)
        if isinstance(chosen, dict) and chosen.get("id") not in (None, ""):
            choice, prompt = read_prompt(str(chosen["id"]))  # the engine judges the prompt
            return {"choice": choice, "prompt": prompt}
    return {"unsupported": f"interactive {kind or 'unknown'}"}


def _button(message: dict[str, Any]) -> Fields:
    """A quick-reply button of a template message: its text reads like a typed answer."""
    text = _part(message, "button").get("text")
    return {"text": text} if isinstance(text, str) else {"unsupported": "button"}


def _location(message: dict[str, Any]) -> Fields:
    where = _part(message, "location")
    try:
        latitude, longitude = float(where["latitude"]), float(where["longitude"])
    except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: 10**400
        return {"unsupported": "location"}
    name, address = where.get("name"), where.get("address")
    return {"location": Location(latitude, longitude,
                                 name if isinstance(name, str) else "",
                                 address if isinstance(address, str) else "")}


def _contacts(message: dict[str, Any]) -> Fields:
    for card in _dicts(message.get("contacts")):
        name = _part(card, "name").get("formatted_name")
        for phone in _dicts(card.get("phones")):
            number = phone.get("phone") or phone.get("wa_id")
            if isinstance(number, str) and number.strip():
                return {"contact": Contact(number.strip(), name if isinstance(name, str) else "")}
    return {"unsupported": "contacts"}


def _media(kind: str, neutral: str | None = None) -> Callable[[dict[str, Any]], Fields]:
    """An attachment: ``unsupported`` names it in the neutral words of `Incoming`
    (``photo``, ``voice``, ...); ``media`` is its WhatsApp media id."""

    def parse(message: dict[str, Any]) -> Fields:
        part = _part(message, kind)
        media = part.get("id")
        what = "voice" if kind == "audio" and part.get("voice") else neutral or kind
        caption = part.get("caption")
        return {"unsupported": what, "media": str(media) if media else None,
                "caption": caption if isinstance(caption, str) and caption else None}

    return parse


def _reaction(message: dict[str, Any]) -> Fields:
    # Removing a reaction arrives as a reaction without an emoji: nothing to answer.
    return {"unsupported": "reaction"} if _part(message, "reaction").get("emoji") else None


_MESSAGE_TYPES: dict[str, Callable[[dict[str, Any]], Fields]] = {
    "text": _text,
    "interactive": _interactive,
    "button": _button,
    "location": _location,
    "contacts": _contacts,
    "image": _media("image", "photo"),
    "audio": _media("audio"),
    "video": _media("video"),
    "document": _media("document"),
    "sticker": _media("sticker"),
    "reaction": _reaction,
}


def _sender(message: dict[str, Any]) -> str | None:
    for key in ("from", "from_user_id"):  # `from` may give way to a business-scoped id
        value = message.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _profile_name(contacts: list[dict[str, Any]], user: str) -> str | None:
    """The sender's profile name; `wa_id` may be missing, so match `user_id` too."""
    matching = [c for c in contacts if user in (c.get("wa_id"), c.get("user_id"))]
    chosen = matching or (contacts if len(contacts) == 1 else [])
    name = _part(chosen[0], "profile").get("name") if chosen else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def parse_message(message: dict[str, Any], contacts: list[dict[str, Any]]) -> Incoming | None:
    """One element of ``value.messages`` as an Incoming (None: nothing to handle)."""
    user = _sender(message)
    if user is None:
        return None
    kind = message.get("type")
    reader = _MESSAGE_TYPES.get(kind) if isinstance(kind, str) else None
    fields = reader(message) if reader else {"unsupported": str(kind or "unknown")}
    if fields is None:
        return None
    message_id = message.get("id")
    return Incoming(
        channel=CHANNEL,
        user=user,
        message_id=str(message_id) if message_id else None,
        profile_name=_profile_name(contacts, user),
        profile_phone=user if user.isdigit() else None,  # the sender's own number
        **fields,
    )


def parse_status(status: dict[str, Any]) -> StatusEvent | None:
    user, state = status.get("recipient_id"), status.get("status")
    if not isinstance(user, str) or not isinstance(state, str):
        return None
    errors = []
    for error in _dicts(status.get("errors")):
        try:
            errors.append((int(error.get("code")), str(error.get("title") or "")))
        except (TypeError, ValueError):
            errors.append((0, str(error.get("title") or error)))
    # cleaned like an Incoming: the user becomes a store key (the 24-hour window book)
    return StatusEvent(clean(user), clean(str(status.get("id") or "")), state, tuple(errors))


def parse_payload(payload: Any, phone_number_id: str | None = None) -> Parsed:
    """Everything a webhook POST carries; changes for another phone number are skipped."""
    parsed = Parsed()
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        parsed.problems.append(f"not a WhatsApp Business payload: object={_object(payload)!r}")
        return parsed
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            if change.get("field") != "messages":
                parsed.problems.append(f"change field {change.get('field')!r} ignored")
                continue
            _read_value(_part(change, "value"), phone_number_id, parsed)
    return parsed


def _object(payload: Any) -> Any:
    return payload.get("object") if isinstance(payload, dict) else type(payload).__name__


def _read_value(value: dict[str, Any], phone_number_id: str | None, parsed: Parsed) -> None:
    ours = _part(value, "metadata").get("phone_number_id")
    if phone_number_id and ours and str(ours) != str(phone_number_id):
        parsed.problems.append(f"change for phone number id {ours} ignored")
        return
    for error in _dicts(value.get("errors")):
        parsed.problems.append(f"webhook error {error.get('code')}: {error.get('title')}")
    contacts = _dicts(value.get("contacts"))
    for message in _dicts(value.get("messages")):
        incoming = parse_message(message, contacts)
        if incoming is not None:
            parsed.messages.append(incoming)
        else:
            parsed.problems.append(f"message {message.get('id')} ({message.get('type')}) skipped")
    for status in _dicts(value.get("statuses")):
        event = parse_status(status)
        if event is not None:
            parsed.statuses.append(event)
