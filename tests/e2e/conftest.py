"""Browser tests: the app served on a free local port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def live_server(app):
    """The test application served by a real HTTP server in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["SERVER_NAME"] = None
    base = f"http://127.0.0.1:{server.server_port}"
    # Emailed and shown links are built from the public address: this server's.
    app.config["PUBLIC_URL"] = base
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian's package, never a downloaded one."""
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A page in a phone-sized window, in French."""
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, locale="fr-FR", timezone_id="Europe/Paris"
    )
    page = context.new_page()
    yield page
    context.close()


SCREENSHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/cercle-screenshots"))  # noqa: S108


def check_phone_page(page, name):
    """Fits 375 px, has no axe-core violation, and leaves a screenshot behind (in
    ``SCREENSHOTS``) for a person to look at."""
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    wide = page.evaluate(
        """[...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 376)
            .map(e => e.tagName + '.' + e.className).slice(0, 8)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, wide
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_snapshot()


@pytest.fixture
def check():
    """``check(page, name)``: ``check_phone_page``."""
    return check_phone_page
