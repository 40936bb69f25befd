"""Pytest fixtures for LibreOffice and real-browser tests.

Enable in ``tests/conftest.py``::

    pytest_plugins = ["tests.support.fixtures"]

Fixtures
    soffice            path of LibreOffice's soffice (skip locally / FAIL in CI if missing)
    libreoffice        helper bound to tmp_path: .recalculate(p), .to_pdf(p), .load_values(p)
    chromium_path      path of system Chromium (skip locally / FAIL in CI if missing)
    chromium_browser   session-wide Playwright Browser (headless Debian Chromium)
    browser_page       fresh context + page per test (1280x900), closed afterwards
    streamlit_factory  start(script_path=None, **kw) -> StreamlitServer (.url); stopped after the test
    app_server         module-wide server for the repository's app.py

Tests using the LibreOffice / browser fixtures are auto-marked
``libreoffice`` / ``browser`` (so ``-m "not browser"`` deselects them).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import REPO_ROOT, skip_or_fail
from . import browser as _browser
from . import libreoffice as _lo

_LIBREOFFICE_FIXTURES = {"soffice", "libreoffice"}
_BROWSER_FIXTURES = {"chromium_path", "chromium_browser", "browser_page", "streamlit_factory", "app_server"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & _LIBREOFFICE_FIXTURES:
            item.add_marker(pytest.mark.libreoffice)
        if names & _BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------- LibreOffice


@pytest.fixture(scope="session")
def soffice() -> str:
    path, reason = _lo.soffice_or_skip_reason()
    if path is None:
        skip_or_fail(reason)
    return path


@dataclass
class LibreOffice:
    soffice: str
    out_dir: Path

    def recalculate(self, xlsx_path, out_dir=None, **kw) -> Path:
        return _lo.recalculate(xlsx_path, out_dir or self.out_dir, soffice=self.soffice, **kw)

    def to_pdf(self, xlsx_path, out_dir=None, **kw) -> Path:
        return _lo.to_pdf(xlsx_path, out_dir or self.out_dir, soffice=self.soffice, **kw)

    def load_values(self, xlsx_path, out_dir=None, **kw):
        """Recalculate, then openpyxl-load the result with data_only=True."""
        import openpyxl

        return openpyxl.load_workbook(self.recalculate(xlsx_path, out_dir, **kw), data_only=True)


@pytest.fixture
def libreoffice(soffice, tmp_path) -> LibreOffice:
    out = tmp_path / "libreoffice-out"
    out.mkdir()
    return LibreOffice(soffice=soffice, out_dir=out)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path, reason = _browser.chromium_or_skip_reason()
    if path is None:
        skip_or_fail(reason)
    return path


@pytest.fixture(scope="session")
def chromium_browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = _browser.launch_chromium(pw, executable_path=chromium_path)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def streamlit_factory():
    """``start(script_path=None, **kwargs)``: run a Streamlit script for this test.

    ``script_path`` defaults to the repository's app.py; kwargs go to
    :func:`tests.support.browser.run_streamlit` (cwd, extra_args, env, ...).
    """
    with contextlib.ExitStack() as stack:

        def start(script_path=None, **kwargs) -> _browser.StreamlitServer:
            script = Path(script_path) if script_path else REPO_ROOT / "app.py"
            return stack.enter_context(_browser.run_streamlit(script, **kwargs))

        yield start


@pytest.fixture(scope="module")
def app_server():
    """The repository's app.py served on a free port for the whole test module."""
    app = REPO_ROOT / "app.py"
    if not app.is_file():
        pytest.fail(f"{app} does not exist", pytrace=False)
    with _browser.run_streamlit(app) as server:
        yield server
