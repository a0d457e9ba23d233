"""A neutral `Reply` -> the JSON bodies of ``POST /<phone number id>/messages``, within
WhatsApp's limits.

- Text over 4096 characters is split at line breaks (at spaces if one line is too long).
- A menu of up to 3 options whose labels fit 20 characters: reply buttons. Up to 10
  options: a list message (row titles 24, descriptions 72, button label 20). More than 10
  (the 11 markets): the list in pages of 9 rows plus a "more" row, the last page with a
  "back" row; the adapter answers those rows itself. Options keep their order, so typing
  the number a resident counts in the list matches the engine's numbering.
- A label too long for a row is shortened at a word boundary with "…" and its full text
  goes into the row's description. A menu that cannot be shown interactively (an option
  id over the platform's limit) becomes numbered text: options are never dropped.
- An interactive body over 1024 characters: the long text goes first as a text message,
  then the interactive message with its last paragraph, or a short prompt.

``t(message_id, **params)`` gives the adapter's texts (``wa.*``) in the recipient's
language. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from bot.adapters.base import with_prompt
from bot.messages import AskContact, AskLocation, Menu, Option, Photo, Reply, Template

Body = dict[str, Any]
Translate = Callable[..., str]

MAX_TEXT = 4096
MAX_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_LIST_BUTTON = 20
MAX_CAPTION = 1024
PAGE_SIZE = MAX_ROWS - 1  # rows per page when a menu needs pages (one row says "more")
PAGE_PREFIX = "wa:page:"
ELLIPSIS = "…"


# -- text -----------------------------------------------------------------------------
def shorten(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut at a word boundary and ended with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 3:  # keep whole words unless that leaves almost nothing
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—(") + ELLIPSIS


def _split_line(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    return [*pieces, line] if line else pieces


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line breaks."""
    text = text.strip()
    if not text:
        return []
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        for part in _split_line(line, limit) or [""]:
            joined = f"{current}\n{part}" if current else part
            if len(joined) <= limit:
                current = joined
            else:
                if current.strip():
                    pieces.append(current.strip("\n"))
                current = part
    if current.strip():
        pieces.append(current.strip("\n"))
    return pieces


def _base(to: str, kind: str, content: Any) -> Body:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": kind, kind: content}


def text_bodies(to: str, text: str) -> list[Body]:
    return [_base(to, "text", {"preview_url": False, "body": piece}) for piece in split_text(text)]


def template_body(to: str, name: str, language: str, params: tuple[str, ...] = ()) -> Body:
    """An approved template, its body's ``{{1}}``, ``{{2}}``... filled with ``params`` (a
    parameter may hold no line breaks or tabs, nor more than four spaces in a row)."""
    content: dict[str, Any] = {"name": name, "language": {"code": language}}
    if params:
        content["components"] = [{"type": "body", "parameters": [
            {"type": "text", "text": " ".join(p.split())} for p in params]}]
    return _base(to, "template", content)


def read_body(message_id: str, typing: bool = True) -> Body:
    """Mark a received message read (blue ticks) and, with ``typing``, show "typing..."
    until the reply or 25 s (Cloud API: ``status: read`` with ``typing_indicator``)."""
    body: Body = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body


def _interactive(to: str, text: str, fallback: str, content: dict[str, Any]) -> list[Body]:
    """Text that does not fit an interactive body goes ahead as text messages."""
    lead, body = "", text.strip()
    if len(body) > MAX_BODY:
        head, _, tail = body.rpartition("\n\n")
        if head and tail.strip() and len(tail.strip()) <= MAX_BODY:
            lead, body = head, tail.strip()
        else:
            lead, body = body, fallback
    if not body:
        body = fallback
    return [*text_bodies(to, lead), _base(to, "interactive", {**content, "body": {"text": body}})]


# -- menus ----------------------------------------------------------------------------
def menu_token(menu: Menu) -> str:
    """A short name for a menu's options, so a "more" row from an old menu is noticed."""
    ids = "\x1f".join(o.id for o in menu.options)
    return hashlib.sha1(ids.encode("utf-8")).hexdigest()[:8]


def page_request(choice: str | None) -> tuple[str, int] | None:
    """(menu token, page) when a chosen row is one of our "more"/"back" rows."""
    if not choice or not choice.startswith(PAGE_PREFIX):
        return None
    token, _, page = choice[len(PAGE_PREFIX):].partition(":")
    return (token, int(page)) if page.isdigit() else None


def pages(count: int) -> list[tuple[int, int]]:
    """(start, end) of each page of a list of ``count`` options."""
    if count <= MAX_ROWS:
        return [(0, count)]
    return [(start, min(start + PAGE_SIZE, count)) for start in range(0, count, PAGE_SIZE)]


def _fits_buttons(options: tuple[Option, ...]) -> bool:
    titles = [" ".join(o.label.split()) for o in options]
    return (
        len(options) <= MAX_BUTTONS
        and all(0 < len(t) <= MAX_BUTTON_TITLE for t in titles)
        and len(set(titles)) == len(titles)
        and all(len(o.id) <= MAX_BUTTON_ID for o in options)
    )


def _interactive_ok(options: tuple[Option, ...]) -> bool:
    ids = [o.id for o in options]
    return len(set(ids)) == len(ids) and all(0 < len(i) <= MAX_ROW_ID for i in ids)


def row(option: Option) -> dict[str, str]:
    label = " ".join(option.label.split()) or option.id
    title = shorten(label, MAX_ROW_TITLE)
    description = " ".join(option.description.split())
    if title != label:
        description = f"{label} · {description}" if description else label
    out = {"id": option.id, "title": title}
    if description:
        out["description"] = shorten(description, MAX_ROW_DESCRIPTION)
    return out


def numbered_text(menu: Menu) -> str:
    lines = [menu.text.strip(), ""] if menu.text.strip() else []
    lines += [f"{i}. {o.label}" for i, o in enumerate(menu.options, 1)]
    return "\n".join(lines)


def render_menu(menu: Menu, to: str, t: Translate, page: int = 0) -> list[Body]:
    # ids with the menu's prompt (``~12~yes``): a press comes back with it for the engine
    options = tuple(Option(with_prompt(o.id, menu.prompt), o.label, o.description)
                    for o in menu.options)
    if not options:
        return text_bodies(to, menu.text)
    if not _interactive_ok(options):
        return text_bodies(to, numbered_text(menu))
    prompt = t("wa.choose_prompt")
    if page == 0 and _fits_buttons(options):
        buttons = [{"type": "reply", "reply": {"id": o.id, "title": " ".join(o.label.split())}}
                   for o in options]
        return _interactive(to, menu.text, prompt, {"type": "button",
                                                    "action": {"buttons": buttons}})
    spans = pages(len(options))
    page = min(max(page, 0), len(spans) - 1)
    start, end = spans[page]
    rows = [row(o) for o in options[start:end]]
    token = menu_token(menu)
    if page + 1 < len(spans):
        first, last = spans[page + 1]
        rows.append(_page_row(token, page + 1, t("wa.more_title"),
                              t("wa.more_description", first=first + 1, last=last,
                                total=len(options))))
    elif len(spans) > 1:
        rows.append(_page_row(token, 0, t("wa.back_title"),
                              t("wa.back_description", first=1, last=spans[0][1])))
    text = menu.text if page == 0 else t("wa.page_prompt", first=start + 1, last=end,
                                         total=len(options))
    button = shorten(menu.button, MAX_LIST_BUTTON) or shorten(t("wa.list_button"),
                                                               MAX_LIST_BUTTON)
    action = {"button": button, "sections": [{"rows": rows}]}
    return _interactive(to, text, prompt, {"type": "list", "action": action})


def _page_row(token: str, page: int, title: str, description: str) -> dict[str, str]:
    return {"id": f"{PAGE_PREFIX}{token}:{page}", "title": shorten(title, MAX_ROW_TITLE),
            "description": shorten(description, MAX_ROW_DESCRIPTION)}


def is_paged(menu: Menu) -> bool:
    return len(menu.options) > MAX_ROWS and _interactive_ok(menu.options)


def render(reply: Reply, to: str, t: Translate) -> list[Body]:
    """The bodies to post, in order, for one reply to the WhatsApp user ``to``."""
    if isinstance(reply, Menu):
        return render_menu(reply, to, t)
    if isinstance(reply, AskLocation):
        content = {"type": "location_request_message", "action": {"name": "send_location"}}
        return _interactive(to, reply.text, t("wa.location_prompt"), content)
    if isinstance(reply, Template):
        return [template_body(to, reply.name, reply.language or "id", reply.params)]
    if isinstance(reply, AskContact):  # WhatsApp has no share-my-number button
        return text_bodies(to, reply.text)
    if isinstance(reply, Photo) and reply.media.isdigit():  # a WhatsApp media id
        caption = reply.text.strip()
        if len(caption) <= MAX_CAPTION:
            return [_base(to, "image", {"id": reply.media, **({"caption": caption}
                                                                 if caption else {})})]
        return [_base(to, "image", {"id": reply.media}), *text_bodies(to, caption)]
    return text_bodies(to, reply.text)  # a Photo from another messenger: its caption


# -- checking what we send --------------------------------------------------------------
def _check_rows(action: dict[str, Any]) -> list[str]:
    problems = []
    sections = action.get("sections") or []
    rows = [r for s in sections for r in s.get("rows", [])]
    if not 0 < len(rows) <= MAX_ROWS:
        problems.append(f"{len(rows)} list rows (1 to {MAX_ROWS})")
    if len(sections) > 1 and any(not 0 < len(s.get("title", "")) <= 24 for s in sections):
        problems.append("several sections need titles of at most 24 characters")
    if not 0 < len(action.get("button", "")) <= MAX_LIST_BUTTON:
        problems.append(f"list button {action.get('button')!r}")
    ids = [r.get("id", "") for r in rows]
    if len(set(ids)) != len(ids) or any(not 0 < len(i) <= MAX_ROW_ID for i in ids):
        problems.append(f"row ids {ids}")
    for r in rows:
        if not 0 < len(r.get("title", "")) <= MAX_ROW_TITLE:
            problems.append(f"row title {r.get('title')!r}")
        if len(r.get("description", "")) > MAX_ROW_DESCRIPTION:
            problems.append(f"row description {r.get('description')!r}")
    return problems


def _check_buttons(action: dict[str, Any]) -> list[str]:
    buttons = [b.get("reply", {}) for b in action.get("buttons", [])]
    problems = [] if 0 < len(buttons) <= MAX_BUTTONS else [f"{len(buttons)} buttons"]
    ids = [b.get("id", "") for b in buttons]
    titles = [b.get("title", "") for b in buttons]
    if len(set(ids)) != len(ids) or any(not 0 < len(i) <= MAX_BUTTON_ID for i in ids):
        problems.append(f"button ids {ids}")
    if len(set(titles)) != len(titles):
        problems.append(f"button titles repeat: {titles}")
    problems += [f"button title {t!r}" for t in titles if not 0 < len(t) <= MAX_BUTTON_TITLE]
    return problems


def check_limits(body: Body) -> list[str]:
    """What in one body breaks WhatsApp's limits (empty when it is fine)."""
    kind = body.get("type")
    if kind == "text":
        text = body["text"].get("body", "")
        return [] if 0 < len(text) <= MAX_TEXT else [f"text of {len(text)} characters"]
    if kind == "image":
        caption = body["image"].get("caption", "")
        return [] if len(caption) <= MAX_CAPTION else [f"caption of {len(caption)}"]
    if kind != "interactive":
        return []
    content = body["interactive"]
    text = content.get("body", {}).get("text", "")
    problems = [] if 0 < len(text) <= MAX_BODY else [f"interactive body of {len(text)}"]
    action = content.get("action", {})
    if content.get("type") == "button":
        problems += _check_buttons(action)
    elif content.get("type") == "list":
        problems += _check_rows(action)
    elif content.get("type") == "location_request_message":
        if action.get("name") != "send_location":
            problems.append("location request without send_location")
    else:
        problems.append(f"interactive type {content.get('type')!r}")
    return problems
