"""Alice, the circle's admin, connects a signed hook on her phone: from the group page to
the webhooks page, the secret shown once, a test post waiting in the delivery log, and
the page that asks before deleting.

Each page is checked at 375 px (no sideways scrolling) and by axe-core (no violation).
Selectors are the form's own names and addresses, so the test reads the same whatever
the page's language.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


@pytest.fixture
def app_config():
    """The receiver of this test lives on the loopback."""
    return {"WEBHOOKS_ALLOW_PRIVATE": True}


def test_an_admin_connects_a_signed_hook_on_a_phone(check, live_server, phone, thread_circle):
    page = phone
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    handle = thread_circle.group.handle
    page.goto(live_server + "/signin")
    page.fill("#email", thread_circle.admin.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")

    page.goto(f"{live_server}/g/{handle}")
    page.locator(f"a[href='/g/{handle}/webhooks']").click()
    page.wait_for_url(re.compile(rf".*/g/{handle}/webhooks$"))
    check(page, "webhooks-empty-375")

    page.check("input[name=kind][value=generic]")
    page.fill("#url", "http://127.0.0.1:9/receiver/abcdefgh4321")
    page.uncheck("input[name=events][value=comment]")
    page.locator(f"form[action='/g/{handle}/webhooks'] button[type=submit]").click()
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{40,}", page.input_value("#new-secret"))
    assert "http://127.0.0.1/…4321" in main and "abcdefgh" not in main
    check(page, "webhooks-secret-375")

    page.locator(f"a[href^='/g/{handle}/webhooks/']").first.click()
    page.wait_for_url(re.compile(rf".*/g/{handle}/webhooks/\d+$"))
    page.locator("form[action$='/test'] button").click()
    page.wait_for_url(re.compile(rf".*/g/{handle}/webhooks/\d+$"))
    assert "test" in page.inner_text("main ol")
    check(page, "webhooks-log-375")

    page.locator("a[href$='/delete']").click()
    page.wait_for_url(re.compile(r".*/delete$"))
    check(page, "webhooks-delete-375")
    page.locator("form[action$='/delete'] button").click()
    page.wait_for_url(re.compile(rf".*/g/{handle}/webhooks$"))
    assert "…4321" not in page.inner_text("main")
    assert not [e for e in errors if "Content Security Policy" in e], errors
