"""``main.py doctor``: what is wrong with this installation, and how to fix it.

Checks the config (messengers enabled without their tokens, bad values), the data folder
(readable and writable, files set aside as unreadable, temp files left by a crash, sizes
and counts), the flows and locales, and the markets data. Prints one line per finding:
``ok``, ``note`` (worth knowing, not wrong) or ``PROBLEM`` followed by how to fix it.
Exit 1 when there is a problem, 0 otherwise.

A bot that is running holds the data folder: doctor then reads the files without opening
the store (no change to them) and says so; that alone is not a problem.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$")
TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
WHATSAPP_REQUIRED = ("access_token", "phone_number_id", "app_secret", "verify_token")
MANY_LIVE_ORDERS = 5_000  # orders.json is rewritten on every order change


def add_parser(sub: Any, name: str) -> None:
    parser = sub.add_parser(
        name,
        help="check config, data files, flows, locales and markets; say how to fix problems",
        description="Check the installation: config (tokens of enabled messengers), the data "
        "folder (readable, unreadable files set aside, leftovers of a crash, sizes and "
        "counts), flows and locales, markets. Exit 1 if anything needs fixing. Safe to run "
        "while the bot runs (the data files are then only read).",
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
    check_data(config, report)
    loaded = check_flows(config, report)
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
    report.section("Config")
    storage = config.get("storage") or {}
    backend = storage.get("backend", "tinydb")
    if backend not in ("tinydb", "memory"):
        report.problem(f"storage.backend is {backend!r}.", "use tinydb (or memory for tests).")
    elif backend == "memory":
        report.note("storage.backend is memory: sessions and orders are lost when the bot "
                    "stops. Use tinydb for a real deployment.")
    else:
        report.ok(f"storage: tinydb in {storage.get('path', 'data/')}")
    for key in ("resume_after_hours", "expire_after_days"):
        value = (config.get("sessions") or {}).get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            report.problem(f"sessions.{key} is {value!r}.", f"set sessions.{key} to a number "
                           "above 0.")
    port = (config.get("server") or {}).get("port")
    if not isinstance(port, int) or not 0 < port < 65536:
        report.problem(f"server.port is {port!r}.", "set server.port to a number 1-65535.")
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


# -- data files ---------------------------------------------------------------------------
def check_data(config: dict, report: Report) -> None:
    from bot.config import resolve

    storage = config.get("storage") or {}
    if storage.get("backend", "tinydb") != "tinydb":
        return
    folder = resolve(config, storage.get("path", "data/"))
    report.section(f"Data files ({folder})")
    if not folder.exists():
        parent = next((p for p in folder.parents if p.exists()), None)
        if parent is not None and not _writable(parent):
            report.problem(f"{folder} does not exist and {parent} is not writable.",
                           f"create {folder} and let the bot's user write to it.")
        else:
            report.note(f"{folder} does not exist yet: the bot creates it at its first start.")
        return
    if not folder.is_dir():
        report.problem(f"{folder} is not a folder.", "point storage.path at a folder.")
        return
    if not _writable(folder) or not _writable(folder / "archive"):
        report.problem(f"the bot cannot write in {folder}.",
                       f"give the bot's user write access: chown -R <user> {folder}")
        return
    temps = _temp_files(folder)
    opened = _open_store(folder, report)
    if temps:
        if opened:
            report.note(f"{len(temps)} unfinished temp file(s) left by a crash were removed "
                        "(the bot does the same at start; no data was in them).")
        else:
            report.note(f"{len(temps)} temp file(s): writes in progress, or leftovers of a "
                        "crash that the bot removes at its next start.")
    _report_files(folder, report, opened)


def _writable(path: Path) -> bool:
    import os

    return not path.exists() or os.access(path, os.W_OK | os.X_OK)


def _temp_files(folder: Path) -> list[Path]:
    from bot.storage.atomic import TEMP_MARK

    return [p for d in (folder, folder / "archive") for p in d.glob(f".*{TEMP_MARK}*")]


def _open_store(folder: Path, report: Report) -> bool:
    """Open the store as the bot would (it sets unreadable files aside); False if locked."""
    from bot.storage.base import StoreError
    from bot.storage.tinydb_store import StoreLocked, TinyDBStore

    quiet = logging.getLogger("bot.storage")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # what it logs while opening is reported below
    try:
        store = TinyDBStore(folder)
    except StoreLocked as exc:
        who = f"pid {exc.pid}" if exc.pid is not None else "a process"
        report.note(f"a bot is running ({who}) and holds this folder: the files were only "
                    "read, not opened as the bot opens them.")
        return False
    except (StoreError, OSError) as exc:
        report.problem(f"the data cannot be opened: {exc}",
                       "fix the file named above (permissions, disk), then run doctor again.")
        return False
    finally:
        quiet.setLevel(level)
    try:
        for text in store.problems():
            report.problem(text, "keep the .corrupt file until someone has looked at it: if "
                           "it held records still needed, have them repaired and put back into "
                           "the file named there while the bot is stopped; otherwise delete "
                           "it. Then run doctor again.")
    finally:
        store.close()
    return True


def _report_files(folder: Path, report: Report, opened: bool) -> None:
    from bot.storage.atomic import CORRUPT_MARK

    groups = {
        "sessions": sorted(folder.glob("sessions-*.json")),
        "message ids": sorted(folder.glob("messages-*.json")),
        "live orders": [folder / "orders.json"],
        "archived orders": sorted((folder / "archive").glob("orders-*.json")),
        "sequences": [folder / "sequences.json"],
    }
    counts: dict[str, int] = {}
    lines = []
    for label, paths in groups.items():
        found = [p for p in paths if p.exists()]
        count = 0
        for path in found:
            try:
                count += _documents(path)
            except (OSError, ValueError) as exc:
                report.problem(f"{path} cannot be read: {exc}",
                               "stop the bot and start it again: it sets the file aside and "
                               "reports it here; then restore it from the .corrupt copy.")
        counts[label] = count
        size = sum(p.stat().st_size for p in found)
        lines.append(f"{label}: {count:,} ({len(found)} file(s), {_size(size)})")
    if any(p.exists() for paths in groups.values() for p in paths):
        for line in lines:
            report.ok(line)
    else:
        report.ok("no data yet: no conversation or order stored")
    if not opened:  # a running bot holds the folder: its journal has the newest orders
        from bot.storage.base import FINISHED_STATUSES
        from bot.storage.snapshot import read_orders

        orders = read_orders(folder).query_orders()
        finished = sum(1 for o in orders if o.get("status") in FINISHED_STATUSES)
        report.ok(f"orders as the running bot has them (its journal included): "
                  f"{len(orders) - finished:,} open, {finished:,} finished")
    if not opened:  # an open store reported these itself
        for path in sorted(folder.glob(f"*{CORRUPT_MARK}*")) + sorted(
            (folder / "archive").glob(f"*{CORRUPT_MARK}*")
        ):
            report.problem(f"{path} is an unreadable file set aside earlier.",
                           "inspect it, then restore it (bot stopped) or delete it.")
    if counts["live orders"] > MANY_LIVE_ORDERS:
        report.note(f"{counts['live orders']:,} orders are still open: orders.json is "
                    "rewritten at every compaction and held in memory. Mark finished orders "
                    "paid or cancelled so they move to the monthly archive.")


def _documents(path: Path) -> int:
    data = json.loads(path.read_text(encoding="utf-8") or "{}")
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise ValueError("not a TinyDB database (an object of tables)")
    return sum(len(table) for table in data.values())


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    return f"{n / 1000:,.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:,.1f} MB"


# -- flows, locales, markets --------------------------------------------------------------
def check_flows(config: dict, report: Report) -> Any:
    from bot.app import load
    from bot.config import resolve

    report.section("Flows and locales")
    loaded = load(config)
    data_files = {str(resolve(config, p)) for p in config["data"].values()}
    mine = [e for e in loaded.errors if e.path not in data_files]
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
        alone = [m.name for m in markets.open if not m.coordinators]
        if alone:
            report.note(f"no coordinators for {', '.join(alone)}: nobody is told of their "
                        "orders (they are still stored). Add coordinators in markets.yaml.")
    catalog_path = resolve(config, config["data"]["catalog"])
    if loaded.catalog is not None:
        report.ok(f"catalog: {len(loaded.catalog.entries)} items with reference prices")
    elif not catalog_path.exists():
        report.note(f"no catalog at {catalog_path}: orders are taken without an estimate.")
