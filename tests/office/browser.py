"""Debian's chromium driven by Playwright for Python, for the office's end-to-end tests.

One browser per test session (per xdist worker), launched from ``/usr/bin/chromium``:
Playwright never downloads a browser of its own here. Playwright's ``launch`` gives the
browser a fresh user data dir of its own (a temp folder it removes at close); each test gets
a new context (its own cookies and storage) from ``page``.

The async API on pytest-asyncio's session loop: the browser and the tests that use it share
one loop, while every other test keeps its own (the sync API would hold a loop running for
the whole session and break the async tests that follow it in the same worker). Tests that
use these fixtures are marked ``BROWSER``.

Without ``/usr/bin/chromium`` those tests are skipped with a loud reason, or fail when the
environment says ``CI=true`` (`.ci/run` installs chromium with apt-get and sets it).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

if TYPE_CHECKING:  # playwright is imported by the fixture: only workers that use it pay
    from playwright.async_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
BROWSER = pytest.mark.asyncio(loop_scope="session")  # what a test using `page` is marked

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")


def require_chromium(path: Path = CHROMIUM, env: Mapping[str, str] = os.environ) -> None:
    """Return if ``path`` is there; otherwise skip the test, loudly, or fail it under CI."""
    if path.exists():
        return
    reason = (f"BROWSER TESTS NOT RUN: {path} is missing; install Debian's chromium "
              f"(apt-get install chromium, as .ci/run does as root)")
    if env.get("CI", "").strip().lower() in {"true", "1", "yes"}:
        pytest.fail(f"{reason}; CI=true, so this is a failure", pytrace=False)
    warnings.warn(reason, stacklevel=2)
    pytest.skip(reason)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """The session's chromium."""
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A page at a phone's width in a context of its own, closed after the test."""
    context = await browser.new_context(viewport=PHONE, locale="id-ID")
    context.set_default_timeout(10_000)  # ms: a loaded 2-core machine, never a speed check
    try:
        yield await context.new_page()
    finally:
        await context.close()
