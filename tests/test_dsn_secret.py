"""The PostgreSQL password of ``storage.dsn`` is a secret of the config: redacted from every
log line like the messengers' tokens (a connection error may quote the DSN)."""

from __future__ import annotations

import logging

import pytest

from bot import privacy


@pytest.mark.parametrize(("dsn", "secret"), [
    ("postgresql://pasar:s3cr%40t-Pw@db.example:5432/pasar", "s3cr@t-Pw"),
    ("host=/var/run/postgresql dbname=pasar user=pasar password='k3y w0rd'", "k3y w0rd"),
    ("host=db password=plainPW9 dbname=pasar", "plainPW9"),
])
def test_the_dsn_password_never_reaches_a_log_line(
        dsn: str, secret: str, caplog: pytest.LogCaptureFixture) -> None:
    privacy.install({"storage": {"dsn": dsn}})
    with caplog.at_level(logging.ERROR):
        logging.getLogger("bot.test").error("cannot connect with %s (%s)", dsn, secret)
    assert caplog.records and secret not in caplog.text
    assert not [s for s in privacy.dsn_secrets(dsn) if s in caplog.text]  # as written too


def test_a_dsn_without_password_adds_no_secret() -> None:
    assert privacy.dsn_secrets("host=/var/run/postgresql dbname=pasar") == []
    assert privacy.dsn_secrets("postgresql://pasar@localhost/pasar") == []
    assert privacy.dsn_secrets("") == []
