"""A Telegram `Message` as a neutral `Incoming`.

One table keyed on what the message carries: text, a location (or venue), a contact, or an
attachment the bot cannot read (photo, sticker, voice note, ...), which becomes
``Incoming.unsupported`` so the engine answers with what it does understand. Service
messages (pins, chat settings) carry nothing to answer and give None.
"""

from __future__ import annotations

from telegram import Message
from telegram.constants import MessageAttachmentType

from bot.engine.commands import REFERRAL
from bot.messages import Contact, Incoming, Location

CHANNEL = "telegram"

# attachments read as something else than "unsupported" (or not read as attachments at all)
_READABLE = {
    MessageAttachmentType.CONTACT,
    MessageAttachmentType.LOCATION,
    MessageAttachmentType.VENUE,
    MessageAttachmentType.SUCCESSFUL_PAYMENT,  # deprecated as an attachment; never sent to us
}


def message_id(update_id: int) -> str:
    """The de-duplication id of an update (a redelivered update keeps its update_id)."""
    return f"u{update_id}"


def start_text(text: str) -> tuple[str, str | None]:
    """``/start <payload>``: the text the engine gets and the referral, if the payload is
    a valid deep-link payload (``A-Z a-z 0-9 _ -``, at most 64); an invalid one is dropped."""
    command, _, payload = text.strip().partition(" ")
    payload = payload.strip()
    if payload and REFERRAL.match(payload):
        return f"{command} {payload}", payload
    return command, None


def is_start(text: str) -> bool:
    command = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    return command.split("@", 1)[0].lower() == "/start"


def attachment_kind(message: Message) -> str | None:
    """``"photo"``, ``"sticker"``, ``"voice"``, ...: what the message carries that we cannot
    read; None when it carries none."""
    for kind in MessageAttachmentType:
        if kind in _READABLE:
            continue
        if getattr(message, kind.value, None):
            return kind.value
    return None


def _media_ref(message: Message, kind: str) -> str | None:
    value = getattr(message, kind, None)
    if isinstance(value, tuple):  # photo: sizes, largest last
        value = value[-1] if value else None
    return getattr(value, "file_id", None)


def parse_message(message: Message, update_id: int) -> Incoming | None:
    """A private-chat message as an Incoming; None for a service message."""
    sender = message.from_user
    common = {
        "channel": CHANNEL,
        "user": str(message.chat.id),
        "message_id": message_id(update_id),
        "profile_name": sender.first_name if sender else None,
    }
    if message.venue is not None:
        venue = message.venue
        where = Location(
            venue.location.latitude, venue.location.longitude, venue.title, venue.address
        )
        return Incoming(location=where, **common)
    if message.location is not None:
        where = Location(message.location.latitude, message.location.longitude)
        return Incoming(location=where, **common)
    if message.contact is not None:
        contact = message.contact
        return Incoming(contact=Contact(contact.phone_number, contact.first_name), **common)
    kind = attachment_kind(message)
    if kind is not None:
        return Incoming(unsupported=kind, media=_media_ref(message, kind),
                        caption=message.caption or None, **common)
    if message.text is not None:
        if is_start(message.text):
            text, referral = start_text(message.text)
            return Incoming(text=text, referral=referral, **common)
        return Incoming(text=message.text, **common)
    return None


def addressed_command(message: Message, username: str) -> str | None:
    """In a group: the command (``/start``) when it is addressed to this bot by name."""
    text = (message.text or "").strip()
    if not text.startswith("/"):
        return None
    command = text.split(maxsplit=1)[0]
    name, _, target = command.partition("@")
    if target and username and target.lower() == username.lower():
        return name.lower()
    return None
