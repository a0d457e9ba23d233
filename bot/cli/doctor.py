"""``main.py doctor``: what is wrong with this installation, and how to fix it.

Checks the config (messengers enabled without their tokens, bad values), the data folder
(see `doctor_data`: free disk space, readable and private, files set aside as unreadable,
damaged journal lines, temp files left by a crash, sizes and counts, every order shown as
the app shows it), the flows and locales, and the markets data. Prints one line per
finding: ``ok``, ``note`` (worth knowing, not wrong), ``did`` (``--repair`` only) or
``PROBLEM`` followed by how to fix it. Exit 1 when there is a problem, 0 otherwise.

doctor only reads: no file is created, changed or removed (a running bot's folder
included). ``doctor --repair`` (bot stopped) opens the data as the bot does, which sets
damaged files and lines aside, removes leftovers, and says what it did.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.cli.doctor_data import DEFAULT_MIN_FREE, byte_size, check_data

ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$")
TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
WHATSAPP_REQUIRED = ("access_token", "phone_number_id", "app_secret", "verify_token")


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(
        name,
        help="check config, data files, flows, locales and markets; say how to fix problems",
        description="Check the installation: config (tokens of enabled messengers), the data "
        "folder (free disk space, private modes, unreadable files and damaged journal lines, "
        "leftovers of a crash, sizes and counts, orders the app could not show), flows and "
        "locales, markets. Exit 1 if anything needs fixing. Only reads (safe while the bot "
        "runs); --repair acts.",
    )
    parser.add_argument(
        "--repair", action="store_true",
        help="with the bot stopped: open the data as the bot does (damaged files and journal "
        "lines set aside, crash leftovers removed, modes made private) and say what it did",
    )
    parser.add_argument(
        "--min-free", type=byte_size, default=DEFAULT_MIN_FREE, metavar="SIZE",
        help="free disk space below which doctor reports a problem (default 200MB)",
    )
    parser.set_defaults(run=run)


@dataclass
class Report:
    problems: int = 0
    notes: int = 0

    def section(self, title: str) -> None:
        print(f"\n{title}")

    def ok(self, text: str) -> None:
        print(f"  ok       {text}")

    def note(self, text: str) -> None:
        self.notes += 1
        print(f"  note     {text}")

    def did(self, text: str) -> None:
        print(f"  did      {text}")

    def problem(self, text: str, fix: str) -> None:
        self.problems += 1
        print(f"  PROBLEM  {text}")
        print(f"           fix: {fix}")


def run(config: dict, args: argparse.Namespace) -> int:
    from bot.cli import _default_config

    config_file = args.config or _default_config()
    report = Report()
    print(f"Pasar Daring doctor (config: {config_file or 'built-in defaults'})")
    check_config(config, _raw_config(config_file), config_file, report)
    loaded = _load(config)
    check_data(config, report, repair=getattr(args, "repair", False),
               min_free=getattr(args, "min_free", DEFAULT_MIN_FREE), loaded=loaded)
    check_flows(config, report, loaded)
    check_markets(config, loaded, report)
    print()
    if report.problems:
        print(f"{report.problems} problem(s) to fix (see PROBLEM above).")
        return 1
    print("Healthy: no problems found." + (f" {report.notes} note(s)." if report.notes else ""))
    return 0


# -- config -------------------------------------------------------------------------------
def _raw_config(path: str | None) -> dict[str, Any]:
    """The config file as written (before ``${NAME}`` is replaced), to name variables."""
    import yaml

    if not path:
        return {}
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _how_to_set(raw: dict[str, Any], section: str, key: str, config_file: str | None) -> str:
    written = (raw.get(section) or {}).get(key) if isinstance(raw.get(section), dict) else None
    found = ENV_REFERENCE.match(written) if isinstance(written, str) else None
    if found:
        return f"set the environment variable {found.group(1)} (config says {written})"
    if written is None:
        from bot.config import DEFAULTS

        default = DEFAULTS.get(section, {}).get(key)
        found = ENV_REFERENCE.match(default) if isinstance(default, str) else None
        if found:
            return f"set the environment variable {found.group(1)}"
    return f"set {section}.{key} in {config_file or 'config.yaml'}"


def check_config(
    config: dict, raw: dict[str, Any], config_file: str | None, report: Report
) -> None:
    from bot.config_check import check_config as config_problems
    from bot.config_check import describe

    report.section("Config")
    for found in config_problems(config):  # unknown keys and bad values, with their lines
        report.problem(describe(found, config), "correct that key of the config file.")
    storage = config.get("storage") or {}
    backend = storage.get("backend", "tinydb")
    if backend == "memory":
        report.note("storage.backend is memory: sessions and orders are lost when the bot "
                    "stops. Use tinydb for a real deployment.")
    elif backend == "tinydb":
        report.ok(f"storage: tinydb in {storage.get('path', 'data/')}")
    _check_telegram(config.get("telegram") or {}, raw, config_file, report)
    _check_whatsapp(config.get("whatsapp") or {}, raw, config_file, report)


def _blank(value: Any) -> bool:
    return not str(value or "").strip()


def _check_telegram(tg: dict, raw: dict, config_file: str | None, report: Report) -> None:
    if not tg.get("enabled"):
        report.ok("telegram: disabled")
        return
    before = report.problems
    how = _how_to_set(raw, "telegram", "token", config_file)
    if _blank(tg.get("token")):
        report.problem("telegram is enabled but telegram.token is empty.",
                       f"{how} to the token @BotFather gave you, or set telegram.enabled: false.")
    elif not TELEGRAM_TOKEN.match(str(tg["token"]).strip()):
        report.problem("telegram.token does not look like a bot token (digits:letters).",
                       f"{how} to the token exactly as @BotFather gave it.")
    mode = tg.get("mode", "polling")
    if mode not in ("polling", "webhook"):
        report.problem(f"telegram.mode is {mode!r}.", "use polling or webhook.")
    elif mode == "webhook":
        if not str(tg.get("webhook_url") or "").startswith("https://"):
            report.problem("telegram.mode is webhook but telegram.webhook_url is not an "
                           "https:// address.", "set telegram.webhook_url to the public "
                           "https:// address of this server.")
        if _blank(tg.get("secret_token")):
            how = _how_to_set(raw, "telegram", "secret_token", config_file)
            report.problem("telegram.mode is webhook but telegram.secret_token is empty: "
                           "anyone could post fake updates.",
                           f"{how} (1-256 of A-Z a-z 0-9 _ -).")
    if report.problems == before:
        report.ok(f"telegram: enabled ({mode})")


def _check_whatsapp(wa: dict, raw: dict, config_file: str | None, report: Report) -> None:
    if not wa.get("enabled"):
        report.ok("whatsapp: disabled")
        return
    missing = [key for key in WHATSAPP_REQUIRED if _blank(wa.get(key))]
    for key in missing:
        report.problem(f"whatsapp is enabled but whatsapp.{key} is empty.",
                       f"{_how_to_set(raw, 'whatsapp', key, config_file)} (Meta App Dashboard, "
                       "WhatsApp > API Setup), or set whatsapp.enabled: false.")
    if not missing:
        report.ok("whatsapp: enabled")


# -- flows, locales, markets --------------------------------------------------------------
def _load(config: dict) -> Any:
    from bot.app import load

    return load(config)


def check_flows(config: dict, report: Report, loaded: Any) -> Any:
    from bot.config import resolve

    report.section("Flows and locales")
    data_files = {str(resolve(config, p)) for p in config["data"].values()}
    config_file = getattr(config.get("source"), "path", None) or "config"  # under Config
    mine = [e for e in loaded.errors if e.path not in data_files and e.path != config_file]
    for error in mine:
        report.problem(str(error), "edit that file at that line, then run "
                       "`python3 main.py validate` until it prints ok.")
    if loaded.i18n is not None and not mine:
        report.ok(f"{len(loaded.flows)} flows ({', '.join(sorted(loaded.flows))}), languages: "
                  f"{', '.join(loaded.i18n.languages)}")
    return loaded


def check_markets(config: dict, loaded: Any, report: Report) -> None:
    from bot.config import resolve

    report.section("Markets")
    data_files = {str(resolve(config, p)) for p in config["data"].values()}
    for error in loaded.errors:
        if error.path in data_files:
            report.problem(str(error), f"correct {Path(error.path).name} (the market office's "
                           "data), then run doctor again.")
    markets = loaded.markets
    if markets is not None:
        report.ok(f"{len(markets.open)} open market(s), {len(markets.coming)} coming")
        if not markets.open:
            report.problem("no market is open: residents cannot order.",
                           "set status: open for at least one market in data/markets.yaml.")
        alone = [m.name for m in markets.unstaffed]
        if alone:
            report.note(f"no coordinators for {', '.join(alone)}: residents are not offered "
                        "these markets (shown as not taking orders yet). Add coordinators "
                        "in markets.yaml.")
        headless = [m.name for m in markets.open if not m.head]
        if headless and not config.get("admins"):
            report.note(f"no head of unit for {', '.join(headless)} and no admins: an order "
                        "nobody claims there is escalated to no one. Add a head in "
                        "markets.yaml or admins in config.yaml.")
    catalog_path = resolve(config, config["data"]["catalog"])
    if loaded.catalog is not None:
        report.ok(f"catalog: {len(loaded.catalog.entries)} items with reference prices")
    elif not catalog_path.exists():
        report.note(f"no catalog at {catalog_path}: orders are taken without an estimate.")
