"""The terminal as a messenger: chat as a resident (or anyone) without any token.

Interactive or piped, one line is one message. ``--json`` gives scripts a stable
interface: each input line gets exactly one output line. A line that is not a message (bad
JSON of any shape: cut short, nested too deep, NaN, not an object, wrong field types) gets
an ``{"error": ...}`` line; undecodable bytes read as U+FFFD; nothing typed ends the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import sys
from typing import Any, TextIO

from bot.adapters.base import BaseAdapter
from bot.json_input import BadJSON, json_object
from bot.messages import (
    AskContact,
    AskLocation,
    Contact,
    Incoming,
    Location,
    Menu,
    Reply,
    split_key,
    user_key,
)
from bot.text_clean import clean

log = logging.getLogger(__name__)

CHANNEL = "console"
_LOCATION = re.compile(r"^/lokasi\s+(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$", re.I)
_SWITCH_USER = re.compile(r"^/user\s+(\S+)\s*$", re.I)


class InputError(ValueError):
    """A --json line that is not a message."""


def render_text(reply: Reply) -> str:
    """A reply as plain text: menus as numbered lists."""
    lines = [reply.text]
    if isinstance(reply, Menu):
        lines += [f"  {i}. {o.label}" for i, o in enumerate(reply.options, 1)]
    elif isinstance(reply, AskLocation):
        lines.append("  (📍 /lokasi -6.2383, 106.9756)")
    elif isinstance(reply, AskContact):
        lines.append("  (☎ 0812-3456-7890)")
    return "\n".join(lines)


def short_key(key: str) -> str:
    channel, user = split_key(key)
    return user if channel == CHANNEL else key


def reply_json(reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {"to": short_key(reply.to), "text": reply.text}
    if isinstance(reply, Menu):
        out["options"] = [{"id": o.id, "label": o.label} for o in reply.options]
    elif isinstance(reply, AskLocation):
        out["ask"] = "location"
    elif isinstance(reply, AskContact):
        out["ask"] = "contact"
    return out


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{field!r} must be a string")
    return value


def _number(value: Any) -> float:
    """A coordinate: a number or a numeric string (``true`` is not one). Impossible values
    (NaN, out of range) pass here: the location input refuses them with a re-prompt."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("not a number")
    return float(value)


def incoming_from_json(line: str, default_user: str) -> Incoming:
    """One --json input line as a message (plain text lines come from the default user).

    Terminal lines carry no message id: nothing re-delivers them, and ids counted per
    process would collide with the ids remembered from an earlier run.
    """
    if not line.lstrip().startswith("{"):
        return Incoming(channel=CHANNEL, user=default_user, text=line)
    try:
        data = json_object(line)
    except BadJSON as exc:
        raise InputError(str(exc)) from None
    user = clean(_text(data.get("user"), "user") or default_user)
    if not user.strip() or ":" in user:
        raise InputError("'user' must be a name without ':'")
    location = data.get("location")
    loc = None
    if location is not None:
        try:
            loc = Location(_number(location["latitude"]), _number(location["longitude"]))
        except (TypeError, KeyError, ValueError, OverflowError):  # 10**400 overflows
            raise InputError("'location' needs numeric latitude and longitude") from None
    contact = _text(data.get("contact"), "contact")
    msg = Incoming(
        channel=CHANNEL,
        user=user,
        text=_text(data.get("text"), "text"),
        choice=_text(data.get("choice"), "choice"),
        location=loc,
        contact=Contact(contact) if contact else None,
        referral=_text(data.get("referral"), "referral"),
        unsupported=_text(data.get("unsupported"), "unsupported"),
    )
    if not (msg.text is not None or msg.choice or msg.location or msg.contact or msg.unsupported):
        raise InputError("a message needs text, choice, location, contact or unsupported")
    return msg


def _tolerant(stream: TextIO) -> TextIO:
    """Undecodable input bytes read as U+FFFD, and output the terminal cannot encode shown
    as ``?``, instead of a UnicodeError that would end the chat."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):  # closed or detached: leave it be
            reconfigure(errors="replace")
    return stream


class ConsoleAdapter(BaseAdapter):
    name = CHANNEL

    def __init__(
        self,
        app: Any,
        *,
        user: str = "warga",
        json_mode: bool = False,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.app = app
        self.user = user
        self.json_mode = json_mode
        self.stdin = _tolerant(stdin or sys.stdin)
        self.stdout = _tolerant(stdout or sys.stdout)
        self.interactive = self.stdin.isatty() and not json_mode

    async def send(self, reply: Reply) -> None:
        """A reply for the one typing, or (marked with who it is for) for another console
        user (a coordinator, say)."""
        if reply.to == user_key(CHANNEL, self.user):
            self._print(render_text(reply) + "\n")
        else:
            self._print(f"→ [{short_key(reply.to)}] " + render_text(reply))

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def _message(self, line: str) -> Incoming | None:
        switch = _SWITCH_USER.match(line)
        if switch:
            self.user = switch.group(1)
            self._print(f"(sekarang sebagai {self.user})")
            return None
        where = _LOCATION.match(line)
        if where:
            loc = Location(float(where.group(1)), float(where.group(2)))
            return Incoming(channel=CHANNEL, user=self.user, location=loc)
        return Incoming(channel=CHANNEL, user=self.user, text=line)

    async def _handle_json(self, line: str) -> None:
        try:
            msg = incoming_from_json(line, self.user)
        except InputError as exc:
            self._print(json.dumps({"error": str(exc)}, ensure_ascii=False))
            return
        try:
            replies = await self.app.engine.handle(msg)
        except Exception:  # still one line out for the line in, and the chat goes on
            log.exception("console: handling a line failed")
            self._print(json.dumps({"error": "the bot could not handle this line"}))
            return
        out = {"replies": [reply_json(r) for r in replies]}
        self._print(json.dumps(out, ensure_ascii=False))
        self.app.sent(replies)  # all of them are in that line, for whoever reads it

    async def _handle_text(self, line: str) -> None:
        msg = self._message(line)
        if msg is None:
            return
        try:
            replies = await self.app.engine.handle(msg)
        except Exception:  # the chat goes on
            log.exception("console: handling a line failed")
            self._print(self.app.i18n.t(self.app.engine.language_of(msg.key), "engine.error"))
            return
        await self.app.dispatch(replies)  # ours printed here, others' by their adapters

    async def run(self) -> None:
        # replies left waiting (a crash, a failed send) and due timers go out while we chat;
        # not in JSON mode, where every line out answers one line in
        start = getattr(self.app, "start_background", None)
        if start is not None and not self.json_mode:
            start()
        try:
            await self._chat()
        finally:
            stop = getattr(self.app, "stop_background", None)
            if stop is not None:
                await stop()

    async def _chat(self) -> None:
        loop = asyncio.get_running_loop()
        if self.interactive:
            self._print(
                "Pasar Daring — ketik pesan (Ctrl-D untuk keluar, /lokasi LAT,LON, /user NAMA)\n"
            )
        while True:
            if self.interactive:
                self.stdout.write("> ")
                self.stdout.flush()
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                break
            line = line.rstrip("\r\n")
            if self.json_mode:
                await self._handle_json(line)
            elif line.strip():
                await self._handle_text(line)
