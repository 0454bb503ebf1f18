"""Alice, the circle's admin, on her phone: from the settings page she downloads the
whole circle as JSON; from the agreements page and a thread, their Markdown.

Each page is checked at 375 px (no sideways scrolling) and by axe-core (no violation).
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


def test_an_admin_downloads_the_circle_and_markdown_on_a_phone(
    check, live_server, phone, thread_circle
):
    page = phone
    handle = thread_circle.group.handle
    page.goto(live_server + "/signin")
    page.fill("#email", thread_circle.admin.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")

    page.goto(f"{live_server}/g/{handle}/settings")
    check(page, "transfer-settings-375")
    with page.expect_download() as info:
        page.locator(f"a[href='/g/{handle}/export']").click()
    download = info.value
    assert download.suggested_filename.startswith(f"cercle-{handle}-")
    with open(download.path(), encoding="utf-8") as f:
        document = json.load(f)
    assert document["format"] == "cercle-group"
    assert document["group"]["handle"] == handle

    page.goto(f"{live_server}/g/{handle}/agreements")
    check(page, "transfer-agreements-375")
    with page.expect_download() as info:
        page.locator(f"a[href='/g/{handle}/agreements.md']").click()
    with open(info.value.path(), encoding="utf-8") as f:
        assert f.read().startswith("# ")

    page.goto(f"{live_server}/t/{thread_circle.thread.id}")
    check(page, "transfer-thread-375")
    with page.expect_download() as info:
        page.locator(f"a[href='/t/{thread_circle.thread.id}.md']").click()
    with open(info.value.path(), encoding="utf-8") as f:
        assert f.read().startswith("# Une discussion")
