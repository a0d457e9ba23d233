"""The browser tests' guard: a missing chromium is a loud skip on a laptop, a failure in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.office.browser import require_chromium


def test_a_missing_chromium_fails_the_browser_tests_under_ci(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_chromium(tmp_path / "chromium", env={"CI": "true"})


def test_a_missing_chromium_skips_them_loudly_elsewhere(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="BROWSER TESTS NOT RUN"), \
            pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_chromium(tmp_path / "chromium", env={})


def test_a_present_chromium_lets_them_run(tmp_path: Path) -> None:
    (tmp_path / "chromium").write_text("#!/bin/sh\n")
    require_chromium(tmp_path / "chromium", env={"CI": "true"})
