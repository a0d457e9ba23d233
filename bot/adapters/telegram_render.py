"""A neutral `Reply` as Bot API ``sendMessage`` arguments, within Telegram's limits.

Decisions:
- Text goes out as HTML (``parse_mode="HTML"``): everything is escaped (``& < >``), then our
  WhatsApp-style ``*bold*`` becomes ``<b>bold</b>``. Nothing else is markup, so an address or
  a shopping list with ``_ [ ] * < >`` in it can never break a message.
- Longer than 4096 characters (counted in UTF-16 units, as Telegram does, on the text before
  markup, which is never shorter than what Telegram counts) is split on line boundaries.
- A menu is an inline keyboard whose ``callback_data`` is ``c:<option id>``, or ``i:<index>``
  where the id would not fit in 64 bytes: never a label, never JSON. A menu that asks a
  question carries its prompt too (``c:~12~yes``, `bot.adapters.base.with_prompt`), which
  comes back with the press for the engine to judge.
- A location or contact request is a one-time reply keyboard; the next plain text removes it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.adapters.base import read_prompt, with_prompt
from bot.messages import AskContact, AskLocation, Menu, Option, Photo, Reply

MAX_TEXT = 4096  # characters of one message (UTF-16 code units)
MAX_CAPTION = 1024  # characters of a photo's caption
MAX_CALLBACK_DATA = 64  # bytes
SHORT_LABEL = 16  # labels this short go two to a row
CHOSEN = "x"  # callback_data of the marker left on a menu after a choice: does nothing

_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")


@dataclass(frozen=True)
class Labels:
    """Words the renderer needs in the recipient's language."""

    share_location: str = "📍 Kirim lokasi"
    share_contact: str = "📱 Kirim nomor HP"
    choose: str = "Pilih salah satu 👇"


@dataclass(frozen=True)
class Outgoing:
    """One ``sendMessage`` (or ``sendPhoto``): its arguments, and what it changes on the
    user's screen."""

    kwargs: dict[str, Any]
    method: str = "sendMessage"
    menu: tuple[Option, ...] = ()  # options of the inline keyboard this message carries
    reply_keyboard: bool | None = None  # True: shows one; False: removes it; None: no change


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def sendable(text: str) -> str:
    """``text`` with any lone surrogate (stored before text was cleaned where it enters)
    as U+FFFD: Telegram takes only UTF-8, and one would stop the whole reply."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def to_html(text: str) -> str:
    """Our text as Telegram HTML: escaped, ``*bold*`` as ``<b>``."""
    return _BOLD.sub(r"<b>\1</b>", html.escape(sendable(text), quote=False))


def _cut(line: str, limit: int) -> list[str]:
    """A single line longer than ``limit``: cut at the last space that fits, else hard."""
    pieces: list[str] = []
    while utf16_len(line) > limit:
        end = limit
        while end > 1 and utf16_len(line[:end]) > limit:
            end -= 1
        space = line.rfind(" ", 0, end)
        cut = space if space > end // 2 else end
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Chunks of at most ``limit`` UTF-16 units, split between lines where possible."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _cut(line, limit):
            extra = utf16_len(piece) + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
                extra = utf16_len(piece)
            current.append(piece)
            size += extra
    chunks.append("\n".join(current))
    kept = [c.strip("\n") for c in chunks if c.strip()]
    return kept or ["…"]


@dataclass(frozen=True)
class Pressed:
    """What a button's ``callback_data`` says: ``kind`` ``c`` (``value`` is an option id),
    ``i`` (an index into the menu) or ``x`` (the marker of a chosen option); ``prompt`` is
    the menu's prompt, None on a notice's buttons."""

    kind: str
    value: str = ""
    prompt: str | None = None


def callback_data(option: Option, index: int, prompt: str = "") -> str:
    """``c:<id>`` when it fits in 64 bytes, else ``i:<index into the menu>``; with the
    menu's prompt when it has one."""
    data = f"c:{with_prompt(option.id, prompt)}"
    if sendable(data) == data and len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
        return data
    return f"i:{with_prompt(str(index), prompt)}"


def parse_callback(data: str | None) -> Pressed | None:
    """A button's data as `Pressed`; None for anything we never sent."""
    if not data:
        return None
    kind, sep, rest = data.partition(":")
    if kind == CHOSEN and not sep:
        return Pressed(CHOSEN)
    value, prompt = read_prompt(rest)
    if sep and kind == "c" and value:
        return Pressed("c", value, prompt)
    if sep and kind == "i" and value.isdecimal():
        return Pressed("i", value, prompt)
    return None


def inline_keyboard(options: tuple[Option, ...], prompt: str = "") -> InlineKeyboardMarkup:
    """Two buttons a row when every label is short, else one: what fits on a phone."""
    buttons = [
        InlineKeyboardButton(sendable(o.label), callback_data=callback_data(o, i, prompt))
        for i, o in enumerate(options)
    ]
    per_row = 2 if all(len(o.label) <= SHORT_LABEL for o in options) else 1
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def chosen_keyboard(label: str) -> InlineKeyboardMarkup:
    """What is left on a menu once answered: the choice, marked, pressing it does nothing."""
    marked = InlineKeyboardButton(f"✓ {sendable(label)}", callback_data=CHOSEN)
    return InlineKeyboardMarkup([[marked]])


def request_keyboard(label: str, *, location: bool) -> ReplyKeyboardMarkup:
    button = KeyboardButton(sendable(label), request_location=location,
                            request_contact=not location)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


def _messages(chat_id: int, text: str) -> list[dict[str, Any]]:
    return [
        {"chat_id": chat_id, "text": to_html(chunk), "parse_mode": "HTML"}
        for chunk in split_text(text)
    ]


def render(
    reply: Reply, chat_id: int, *, keyboard_showing: bool = False, labels: Labels | None = None
) -> list[Outgoing]:
    """The ``sendMessage`` calls for one reply, in order.

    ``keyboard_showing`` says a location/contact keyboard is still on the user's screen: a
    plain text removes it; a menu's text removes it and its buttons follow in a short second
    message (one message cannot carry both kinds of keyboard).
    """
    labels = labels or Labels()
    if isinstance(reply, Photo) and reply.media:
        return render_photo(reply, chat_id)
    messages = _messages(chat_id, reply.text)
    last = messages[-1]
    if isinstance(reply, AskLocation | AskContact):
        location = isinstance(reply, AskLocation)
        default = labels.share_location if location else labels.share_contact
        last["reply_markup"] = request_keyboard(reply.button or default, location=location)
        return [*(Outgoing(m) for m in messages[:-1]), Outgoing(last, reply_keyboard=True)]
    if isinstance(reply, Menu) and reply.options:
        if keyboard_showing:
            last["reply_markup"] = ReplyKeyboardRemove()
            follow = _messages(chat_id, labels.choose)[0]
            follow["reply_markup"] = inline_keyboard(reply.options, reply.prompt)
            return [
                *(Outgoing(m) for m in messages[:-1]),
                Outgoing(last, reply_keyboard=False),
                Outgoing(follow, menu=reply.options),
            ]
        last["reply_markup"] = inline_keyboard(reply.options, reply.prompt)
        return [*(Outgoing(m) for m in messages[:-1]), Outgoing(last, menu=reply.options)]
    if keyboard_showing:
        last["reply_markup"] = ReplyKeyboardRemove()
        return [*(Outgoing(m) for m in messages[:-1]), Outgoing(last, reply_keyboard=False)]
    return [Outgoing(m) for m in messages]


def render_photo(reply: Photo, chat_id: int) -> list[Outgoing]:
    """A picture by its file_id with the text as caption; a text too long for a caption
    follows as messages."""
    photo: dict[str, Any] = {"chat_id": chat_id, "photo": reply.media}
    if utf16_len(reply.text) <= MAX_CAPTION:
        if reply.text.strip():
            photo.update(caption=to_html(reply.text), parse_mode="HTML")
        return [Outgoing(photo, method="sendPhoto")]
    return [Outgoing(photo, method="sendPhoto"), *(Outgoing(m) for m in _messages(chat_id,
                                                                                 reply.text))]


def text_only(reply: Reply, chat_id: int) -> list[Outgoing]:
    """The reply's text alone (a picture that cannot be sent: its caption)."""
    return [Outgoing(m) for m in _messages(chat_id, reply.text)]


def keyboard_labels(markup: Any) -> dict[str, str]:
    """callback_data -> label of an inline keyboard as it came back in an update."""
    rows = getattr(markup, "inline_keyboard", None) or ()
    return {b.callback_data: b.text for row in rows for b in row if b.callback_data}
