"""Locales: complete catalogs, Babel formatting, and the gettext tool chain."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from babel.messages.pofile import read_po

from bot.engine.extract import flow_message_ids, python_message_ids
from bot.i18n import I18n, long_date, render, rupiah

ROOT = Path(__file__).resolve().parents[1]
I18N = I18n.load(ROOT / "locales")


def used_message_ids() -> set[str]:
    ids = set()
    for path in (ROOT / "bot").rglob("*.py"):
        ids |= {m for _, m in python_message_ids(path.read_text(encoding="utf-8"))}
    for path in (ROOT / "flows").glob("*.yaml"):
        ids |= {m for _, m, _ in flow_message_ids(path.read_text(encoding="utf-8"))}
    return ids


def test_every_message_id_in_code_and_flows_is_in_every_catalog() -> None:
    used = used_message_ids()
    assert len(used) > 50
    for language, catalog in I18N.catalogs.items():
        missing = sorted(used - set(catalog.messages))
        assert not missing, f"{language} lacks {missing}"


def test_catalogs_have_the_same_placeholders() -> None:
    import re

    field = re.compile(r"\{(\w+)\}")
    default = I18N.catalogs["id"].messages
    for language, catalog in I18N.catalogs.items():
        for key, text in catalog.messages.items():
            assert set(field.findall(text)) == set(field.findall(default.get(key, text))), (
                language, key)


def test_rupiah_and_dates() -> None:
    assert rupiah(15000) == "Rp15.000"
    assert rupiah(1_250_500) == "Rp1.250.500"
    assert rupiah(15000, "en") == "Rp15,000"
    assert rupiah(-2500) == rupiah(-2500.4) == "-Rp2.500"
    assert rupiah(-2500, "en") == "-Rp2,500"
    assert long_date(date(2024, 8, 17)) == "Sabtu, 17 Agustus 2024"


def test_missing_params_and_braces_never_raise() -> None:
    assert render("Halo {name}", {}) == "Halo "
    assert render("{", {"x": 1}) == "{"
    assert I18N.t("xx", "engine.cancelled") == I18N.t("id", "engine.cancelled")
    assert I18N.t("en", "no.such.id") == "no.such.id"


def test_pybabel_extract_and_update(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    babel = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run([*babel, "extract", "-F", "babel.cfg", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert used_message_ids() <= template
    locales = tmp_path / "locales"
    subprocess.run([*babel, "init", "-i", str(pot), "-d", str(locales), "-l", "jv"],
                   check=True, capture_output=True)
    subprocess.run([*babel, "update", "-i", str(pot), "-d", str(locales)],
                   check=True, capture_output=True)
    assert (locales / "jv" / "LC_MESSAGES" / "messages.po").exists()


def test_render_keeps_the_template_on_positional_or_broken_fields() -> None:
    """`render` (``format_map``) fills names, shows a missing one empty, and keeps the
    template as it is when a field is positional or the braces are broken."""
    assert render("Halo {name}, {missing}!", {"name": "Bu"}) == "Halo Bu, !"
    assert render("{{lit}} {n:,}", {"n": 1234567}) == "{lit} 1,234,567"
    for broken in ("{0}", "{}", "{", "}", "{a.b}", "{x!z}"):
        assert render(broken, {"a": "s", "x": 1}) == broken
