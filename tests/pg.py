"""A real PostgreSQL server for the tests: started once per test process (each xdist
worker has its own), in a temporary folder, listening only on a unix socket there.

As root, ``initdb`` refuses to run: the server's folder is given to the ``postgres`` user
and the binaries run as it (``runuser -u postgres --``). When no PostgreSQL binaries exist
at all, the tests that need the server are skipped, saying so loudly; in CI (``CI=true``)
they fail instead.

Fixtures (import them in a conftest.py, as tests/conftest.py does):

- ``pg_server``: the `PgServer` (session-wide).
- ``pg_dsn``: a new database with the store's schema, for this test alone.
- ``pg_empty_dsn``: a new database without any table (for `db upgrade`).

`store_for_contract` gives the storage contract suites a `PostgresStore` on one shared
database, emptied first (TRUNCATE: a few ms, where a database per test costs ~100 ms).
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

PG_USER = "postgres"  # the OS user the server runs as when the tests run as root
_names = itertools.count(1)


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: $PG_BIN, the newest /usr/lib/postgresql/*/bin, PATH."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                         else 0, reverse=True)
    found = shutil.which("initdb")
    candidates.append(str(Path(found).parent) if found else "")
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


class PgServer:
    """One PostgreSQL server in a folder of its own; `stop` removes it all."""

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.as_postgres = os.geteuid() == 0
        self._sweep()
        self.root = Path(tempfile.mkdtemp(prefix="pgtest-"))
        (self.root / "owner.pid").write_text(str(os.getpid()))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 5432  # one server per folder, on a unix socket only: any port will do
        self.template = "pasar_template"
        self._running = False
        if self.as_postgres:
            pw = pwd.getpwnam(PG_USER)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses='' -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")
        self._running = True
        self._make_template()

    def _sweep(self) -> None:
        """Stop and remove the servers of test processes that died without stopping theirs
        (killed pytest runs), so they do not pile up on a shared machine."""
        for folder in Path(tempfile.gettempdir()).glob("pgtest-*"):
            try:
                owner = int((folder / "owner.pid").read_text())
                os.kill(owner, 0)
                continue  # its test process still runs
            except ProcessLookupError:
                pass
            except (OSError, ValueError):
                continue  # not ours to judge (being made, or not a test server)
            if (folder / "data").exists():
                command = [str(self.bin / "pg_ctl"), "-D", str(folder / "data"), "-m",
                           "immediate", "-w", "stop"]
                if self.as_postgres:
                    command = ["runuser", "-u", PG_USER, "--", *command]
                subprocess.run(command, capture_output=True, check=False)
            shutil.rmtree(folder, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", PG_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}\n{log}")

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.root} port={self.port} user=postgres dbname={dbname}"

    def admin(self) -> Any:
        import psycopg

        return psycopg.connect(self.dsn(), autocommit=True)

    def _make_template(self) -> None:
        import psycopg

        from bot.storage.postgres.schema import upgrade

        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {self.template}")
        with psycopg.connect(self.dsn(self.template), autocommit=True) as conn:
            upgrade(conn)

    def create_database(self, *, migrated: bool = True) -> str:
        """A new database (with the store's tables if ``migrated``); returns its DSN."""
        name = f"t{os.getpid()}_{next(_names)}"
        template = self.template if migrated else "template0"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.dsn(name)

    def stop(self) -> None:
        if self._running:
            self._running = False
            with contextlib.suppress(RuntimeError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


_server: PgServer | None = None


def server() -> PgServer:
    """This process's server, started at the first call (skips or fails the calling test
    when there is no PostgreSQL: see the module's doc)."""
    global _server
    if _server is None:
        _server = PgServer(require(bin_dir()))
        atexit.register(_server.stop)
    return _server


def require(binaries: Path | None, env: dict[str, str] | None = None) -> Path:
    """``binaries``, or: fail the test in CI (``CI=true``), skip it loudly elsewhere."""
    if binaries is not None:
        return binaries
    reason = ("NO POSTGRESQL BINARIES (initdb, pg_ctl) on this machine: the PostgreSQL "
              "tests did not run. Install postgresql or set PG_BIN.")
    if (os.environ if env is None else env).get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(reason + " In CI they must run.", pytrace=False)
    warnings.warn(reason, stacklevel=2)
    pytest.skip(reason)


def stop_server() -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None


_contract_dsn: str | None = None


def contract_dsn() -> str:
    """One migrated database of this process for the contract suites, emptied by each
    store made on it (`store_for_contract`)."""
    global _contract_dsn
    if _contract_dsn is None:
        _contract_dsn = server().create_database()
    return _contract_dsn


TABLES = ("sessions", "orders", "order_events", "sequences", "messages", "inbox", "outbox",
          "timers", "meta")


def empty(dsn: str, tables: Iterable[str] = TABLES) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")


def store_for_contract(finished: frozenset[str]) -> Any:
    """A `PostgresStore` on this process's contract database, with nothing in it."""
    from bot.storage.postgres import PostgresStore

    dsn = contract_dsn()
    empty(dsn)
    return PostgresStore(dsn, finished=finished, pool_size=4)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    yield server()
    stop_server()


@pytest.fixture
def pg_dsn(pg_server: PgServer) -> str:
    """A database of this test's own, with the store's tables (from a template: ~0.1 s)."""
    return pg_server.create_database()


@pytest.fixture
def pg_empty_dsn(pg_server: PgServer) -> str:
    return pg_server.create_database(migrated=False)
