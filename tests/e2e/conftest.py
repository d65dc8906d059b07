"""End-to-end fixtures: a real `revdesk serve` on 127.0.0.1 and Debian's chromium via Playwright.

Chromium is never downloaded (`playwright install` is not used): the tests drive the system's
/usr/bin/chromium (or $REVDESK_CHROMIUM). Without it they skip with the reason, except under
CI=true, where they fail. A failing test leaves a screenshot in .cache/test-artifacts/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from web_support import OWN_QUOTE, cheap_password_hashing, draft_quote, sample_company

CHROMIUM = Path(os.environ.get("REVDESK_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(".cache/test-artifacts")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium."""
    if not CHROMIUM.exists():
        reason = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`revdesk serve` over the sample company, Alice's quote 9 a draft on net 90."""
    cheap_password_hashing()
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    db = Database.connect(url)
    upgrade(db.engine)
    ids, emails = sample_company(db)
    draft_quote(db, OWN_QUOTE)
    db.dispose()
    port = _free_port()
    env = {**os.environ, "REVDESK_DATABASE_URL": url}
    command = [sys.executable, "-m", "revdesk", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait(base, process, log)
            yield {"base": base, "ids": ids, "emails": emails}
        finally:
            process.terminate()
            process.wait(timeout=20)


def _wait(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"revdesk serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("revdesk serve did not answer /health within 60 s")


@pytest.fixture
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[list[Page]]:
    """Fresh browser pages (one context each); screenshots of them are kept when the test fails."""
    opened: list[Page] = []
    contexts = []

    def _new() -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        opened.append(page)
        return page

    request.node.new_page = _new
    request.node.opened_pages = opened
    yield opened
    for context in contexts:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep a screenshot of every open page of a failed browser test."""
    report = yield
    if report.when == "call" and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(getattr(item, "opened_pages", [])):
            try:
                page.screenshot(path=str(ARTIFACTS / f"{item.name}-{number}.png"), full_page=True)
            except Exception as exc:  # a closed page must not hide the test's own failure
                report.sections.append(("screenshot", f"could not take a screenshot: {exc}"))
    return report
