"""Personal data and secrets out of the logs.

Two parts:

- **Pseudonyms.** A log line names a user by ``who(key)``: ``u-`` and 10 hex digits of the
  HMAC-SHA256 of the user key (``whatsapp:6281...``, ``telegram:123``), keyed by a secret
  made once per data folder (``log-pseudonym.key``, mode 0600). The same user gets the same
  pseudonym across restarts, so a log can be followed; only someone holding the data folder
  can say who it is (``python3 main.py whois``). Without a data folder (the memory store,
  tests) the key is random per process: still never the number.
- **Redaction**, the safety net under every log line at every level: `install` puts a
  record factory in front of the logging module, so every record any logger creates
  (ours, uvicorn's access log, httpx, python-telegram-bot) has phone numbers, Bot API
  tokens, ``...token=``/``...secret=`` query values, ``Bearer`` values and every secret of
  the config (`add_secrets`) replaced before any handler or formatter sees it, tracebacks
  included. Call sites still log pseudonyms and no secrets; this catches what slips through.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

KEY_FILE = "log-pseudonym.key"
PREFIX = "u-"
DIGITS = 10  # 40 bits: no two of a million users share one (birthday bound ~1e6)
MIN_SECRET = 4  # shorter config values are not secrets worth a replace (and would mangle)

# What is redacted, in one pattern (one pass over a line; see `_pattern`):
# Indonesian mobile numbers as people and platforms write them: 0812..., 62812...,
# +62 812-3456-7890, 0812 3456 7890 (separators: space, dot, dash).
PHONE = r"(?<![\d\w])(?:\+\s?62|62|0)[\s.-]?8\d(?:[\s.-]?\d){6,11}(?!\d)"
# A Bot API token (123456789:AA...), alone or inside a URL (/bot123:AA.../sendMessage).
BOT_TOKEN = r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{10,}"
# ?hub.verify_token=..., &access_token=..., secret_token=..., app_secret=..., password=...,
# and as a dict or JSON shows them: 'secret_token': '...', "access_token": "..."
QUERY_SECRET = (r"(?<![\w.-])[\w.-]{0,40}?(?:token|secret|password|passwd|signature)"
                r"['\"]?\s*[=:]\s*['\"]?")
QUERY_VALUE = r"(?!<)[^&\s\"',;)}]+"  # not one already redacted
# A WhatsApp message id: base64 that holds the user's number (wamid.HBgNNjI4MTIz...)
WAMID = r"wamid\.[A-Za-z0-9+/=_-]{16,}"
# the office's one-time sign-in link (bot/office/links.py), as the access log shows its path
SIGN_IN = r"/office/masuk/"
SIGN_IN_VALUE = r"[A-Za-z0-9_-]+"
BEARER = r"Bearer\s+"
BEARER_VALUE = r"[A-Za-z0-9._~+/=-]+"
REDACTED = "<redacted>"

_lock = threading.Lock()
_key: bytes = secrets.token_bytes(32)
_secrets: set[str] = set()
_installed = False


def _compile() -> re.Pattern[str]:
    """Known secrets (longest first), then the shapes of tokens, secrets and numbers."""
    parts = []
    if _secrets:
        known = "|".join(re.escape(v) for v in sorted(_secrets, key=len, reverse=True))
        parts.append(f"(?P<secret>{known})")
    parts += [f"(?P<bot>{BOT_TOKEN})", f"(?P<name>{QUERY_SECRET}){QUERY_VALUE}",
              f"(?P<bearer>{BEARER}){BEARER_VALUE}", f"(?P<signin>{SIGN_IN}){SIGN_IN_VALUE}",
              f"(?P<phone>{PHONE})",
              f"(?P<wamid>{WAMID})"]
    return re.compile("|".join(parts), re.IGNORECASE)


_pattern = _compile()
_lowered: tuple[str, ...] = ()
# a line can hold something to redact only if it has one of these words, or the start of
# a phone number (08, 628) or of a Bot API token (digits, ':', ten token characters)
WORDS = ("token", "secret", "passw", "signature", "bearer", "wamid.", "/masuk/")
NUMBERISH = re.compile(r"(?:0|62)[\s.-]?8\d|\d:[A-Za-z0-9_-]{10}")


def _suspect(text: str) -> bool:
    """The cheap test before the pattern (most lines hold nothing to redact)."""
    lower = text.lower()
    return (any(w in lower for w in WORDS) or NUMBERISH.search(text) is not None
            or any(v in lower for v in _lowered))


def _replace(match: re.Match[str]) -> str:
    if match.group("bot"):
        return "<token>"
    if match.group("phone"):
        return "<phone>"
    if match.group("wamid"):
        return "wamid.<redacted>"
    prefix = match.group("name") or match.group("bearer") or match.group("signin") or ""
    return prefix + REDACTED


# -- pseudonyms -------------------------------------------------------------------------
def pseudonym(user: str, key: bytes | None = None) -> str:
    """``u-3f9a1c0b7e``: the same for the same user key and secret key."""
    data = str(user).encode("utf-8", "surrogatepass")
    digest = hmac.new(key if key is not None else _key, data, hashlib.sha256).hexdigest()
    return PREFIX + digest[:DIGITS]


def message_ref(message_id: Any) -> str:
    """How a log line names a platform message: ``m-`` and a keyed hash (a WhatsApp
    message id is base64 that holds the sender's number)."""
    if not message_id:
        return "-"
    digest = hmac.new(_key, str(message_id).encode("utf-8", "surrogatepass"),
                      hashlib.sha256).hexdigest()
    return "m-" + digest[:DIGITS]


def who(user: Any) -> str:
    """How a log line names a user (never the key itself, which may be a phone number)."""
    if not user:
        return "-"
    return pseudonym(str(user))


def read_key(folder: Path) -> bytes | None:
    """The folder's pseudonym key, or None if it has none yet (reads only)."""
    try:
        text = (folder / KEY_FILE).read_text(encoding="ascii").strip()
        return bytes.fromhex(text) if len(text) == 64 else None
    except (OSError, ValueError):
        return None


def folder_key(folder: Path) -> bytes:
    """The folder's pseudonym key; made (32 random bytes, mode 0600) the first time."""
    path = folder / KEY_FILE
    existing = read_key(folder)
    if existing is not None:
        return existing
    key = secrets.token_bytes(32)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{KEY_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key.hex().encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # never replaces a key another process made meanwhile
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return read_key(folder) or key


def use_key(key: bytes) -> None:
    """Name users in this process's logs by the pseudonyms of ``key`` (a shared store's:
    the same names in every worker's log)."""
    global _key
    _key = key


def use_folder(folder: Path) -> None:
    """Name users in this process's logs by the pseudonyms of this data folder (if its key
    cannot be made, by a key of this process only: still never the user key)."""
    global _key
    try:
        _key = folder_key(folder)
    except OSError as exc:
        logging.getLogger(__name__).warning(
            "%s could not be written (%s): log pseudonyms hold for this run only",
            folder / KEY_FILE, exc.strerror or type(exc).__name__)


# -- redaction --------------------------------------------------------------------------
def add_secrets(values: Iterable[Any]) -> None:
    """Values (tokens, app secrets, verify tokens) never to appear in a log line."""
    global _pattern, _lowered
    with _lock:
        for value in values:
            text = str(value or "").strip()
            if len(text) >= MIN_SECRET and "${" not in text:
                _secrets.add(text)
        _pattern = _compile()
        _lowered = tuple(v.lower() for v in _secrets)


def config_secrets(config: dict[str, Any]) -> list[str]:
    """Every token and secret of a config (the messengers' sections)."""
    found = []
    for section in ("telegram", "whatsapp", "office"):
        for name, value in (config.get(section) or {}).items():
            if isinstance(value, str) and ("token" in name or "secret" in name):
                found.append(value)
    return found + dsn_secrets(str((config.get("storage") or {}).get("dsn") or ""))


def dsn_secrets(dsn: str) -> list[str]:
    """The password in a PostgreSQL DSN (``postgresql://u:PASSWORD@h/db``, as written and
    decoded, or ``... password=PASSWORD ...``), if it holds one."""
    if "://" in dsn:
        from urllib.parse import unquote, urlsplit

        try:
            password = urlsplit(dsn).password
        except ValueError:
            return []
        return list(dict.fromkeys([password, unquote(password)])) if password else []
    found = re.search(r"(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", dsn)
    return [found.group(1).strip("'")] if found else []


def redact(text: str) -> str:
    """``text`` with phone numbers, tokens and known secrets replaced."""
    return _pattern.sub(_replace, text) if text and _suspect(text) else text


def _clean_arg(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def scrub(record: logging.LogRecord) -> None:
    """Redact a record in place: message, arguments, traceback, stack. A clean record (the
    usual case) costs one search over its message and is left as it is; a record whose
    message needs redacting keeps its arguments' shape when redacting them is enough
    (uvicorn's access formatter unpacks them), else becomes its redacted message."""
    try:
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        message = record.getMessage()
        if not _suspect(message) or _pattern.search(message) is None:
            return
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_clean_arg(a) for a in args)
        elif isinstance(args, dict):
            record.args = {k: _clean_arg(v) for k, v in args.items()}
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if _pattern.search(record.getMessage()) is not None:  # only the whole shows it
            record.msg, record.args = redact(message), ()
    except Exception:  # a record that cannot be formatted: logging reports it later
        record.msg, record.args = redact(str(record.msg)), ()


class RedactFilter(logging.Filter):
    """The same redaction as a filter, for a handler made outside `install`'s reach."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub(record)
        return True


def install(config: dict[str, Any] | None = None) -> None:
    """Redact every log record of this process from now on (idempotent); quiet the
    loggers whose INFO lines are request URLs (httpx: the Bot API URL carries the token)."""
    global _installed
    if config is not None:
        add_secrets(config_secrets(config))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
