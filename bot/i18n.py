"""Locales: gettext .po catalogs read with Babel at start-up, plus Babel formatters.

Message ids are symbolic (``order.ask_market``); ``locales/<lang>/LC_MESSAGES/messages.po``
gives each its text. The default language (``id``) must be complete; other languages fall
back to it message by message. No compile step: the .po files are read directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

log = logging.getLogger(__name__)


class _Params(dict):
    """Format parameters where a missing name shows as empty, never raises."""

    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, params: dict | None = None) -> str:
    """``str.format`` that tolerates missing names and stray braces. (``format_map``: what
    ``string.Formatter().vformat`` did, in C; a positional field ``{0}`` or ``{}`` raises
    ValueError here where it raised IndexError there: either way the template is kept.)"""
    if not params and "{" not in template:
        return template
    try:
        return template.format_map(_Params(params or {}))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


@dataclass(frozen=True)
class LocaleCatalog:
    language: str
    locale: Locale
    messages: dict[str, str]
    path: Path | None
    lines: dict[str, int]  # message id -> line in the .po file


def load_po(path: Path, language: str) -> LocaleCatalog:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    messages: dict[str, str] = {}
    lines: dict[str, int] = {}
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        if message.string and not message.fuzzy:
            messages[message.id] = message.string
        lines[message.id] = message.lineno
    return LocaleCatalog(language, _parse_locale(language), messages, path, lines)


def _parse_locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        log.warning("unknown locale %r, formatting as Indonesian", language)
        return Locale.parse("id")


class I18n:
    """All loaded catalogs; ``t(lang, id, **params)`` renders one message."""

    def __init__(self, catalogs: dict[str, LocaleCatalog], default: str = "id") -> None:
        if default not in catalogs:
            raise ValueError(f"default language {default!r} has no catalog")
        self.catalogs = catalogs
        self.default = default

    @classmethod
    def load(cls, directory: str | Path, default: str = "id") -> I18n:
        directory = Path(directory)
        catalogs = {}
        for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
            language = po.parent.parent.name
            catalogs[language] = load_po(po, language)
        return cls(catalogs, default)

    @property
    def languages(self) -> list[str]:
        return [self.default, *sorted(k for k in self.catalogs if k != self.default)]

    def language_name(self, language: str) -> str:
        """The language's own name: its catalog's ``language.name``, else Babel's."""
        catalog = self.catalogs[language]
        named = catalog.messages.get("language.name")
        return named or (catalog.locale.get_display_name(catalog.locale) or language).capitalize()

    def resolve(self, language: str | None) -> str:
        if language and language in self.catalogs:
            return language
        if language and language.split("_")[0].split("-")[0] in self.catalogs:
            return language.split("_")[0].split("-")[0]
        return self.default

    def has(self, message_id: str, language: str | None = None) -> bool:
        return message_id in self.catalogs[language or self.default].messages

    def t(self, language: str | None, message_id: str, /, **params: object) -> str:
        language = self.resolve(language)
        template = self.catalogs[language].messages.get(message_id)
        if template is None:
            template = self.catalogs[self.default].messages.get(message_id, message_id)
        return render(template, params)

    def locale(self, language: str | None) -> Locale:
        return self.catalogs[self.resolve(language)].locale


# -- formatters (Babel) ----------------------------------------------------------------


def rupiah(amount: int | Decimal | float, locale: Locale | str = "id_ID") -> str:
    """Rupiah without decimals: ``Rp15.000``; ``Rp15,000`` in English (not ``IDR15,000``:
    prices in Bekasi are written with Rp whatever the language)."""
    return _rupiah(int(Decimal(str(amount)).to_integral_value()), locale)


@lru_cache(maxsize=4096)
def _rupiah(whole: int, locale: Locale | str) -> str:
    """`rupiah` of a whole amount, remembered (Babel's formatting is ~25 us; the same
    prices and totals come back in every list and summary)."""
    if whole < 0:
        return "-" + _rupiah(-whole, locale)
    text = format_currency(whole, "IDR", locale=locale, format="¤#,##0", currency_digits=False)
    return text if "Rp" in text else "Rp" + format_decimal(whole, format="#,##0", locale=locale)


def number(value: Decimal | float | int, locale: Locale | str = "id_ID") -> str:
    """``1,5`` in Indonesian, ``1.5`` in English."""
    return format_decimal(value, locale=locale)


def long_date(value: date | datetime, locale: Locale | str = "id_ID") -> str:
    """``Sabtu, 17 Agustus 2024``."""
    return _long_date(value.date() if isinstance(value, datetime) else value, locale)


@lru_cache(maxsize=256)
def _long_date(day: date, locale: Locale | str) -> str:
    """`long_date` of a day, remembered (Babel reads only the date of a datetime)."""
    return format_date(day, "full", locale=locale)
