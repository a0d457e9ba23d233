"""The PostgreSQL test server's rule (tests/pg.py): without binaries the tests are skipped
loudly, except in CI where they fail; with them, a real server answers."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.pg import PgServer, require


def test_no_binaries_fail_in_ci() -> None:
    with pytest.raises(pytest.fail.Exception, match="In CI they must run"):
        require(None, {"CI": "true"})


def test_no_binaries_skip_loudly_elsewhere() -> None:
    with pytest.warns(UserWarning, match="NO POSTGRESQL BINARIES"), \
            pytest.raises(pytest.skip.Exception):
        require(None, {})


def test_binaries_found_are_used(tmp_path: Path) -> None:
    assert require(tmp_path, {"CI": "true"}) == tmp_path


def test_the_server_is_real_and_migrated(pg_server: PgServer, pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SHOW server_version_num").fetchone()[0] >= "130000"  # type: ignore[index]
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 1  # type: ignore[index]
