"""Without a mail server, inviting an address does not claim an email was sent: the
page says so and gives the link to pass on by hand."""

from __future__ import annotations

import re

import pytest

EN = {"Accept-Language": "en"}


@pytest.fixture
def app_config() -> dict:
    """No mail server: emails are only written to the log."""
    return {"MAIL_BACKEND": "app.mail.LogEmailBackend"}


def test_an_email_invitation_without_a_mail_server_shows_the_link_instead(
    client, auth, people, make_group
):
    group = make_group(people.admin)
    auth.login(people.admin)
    response = client.post(
        f"/g/{group.handle}/invitations",
        data={"email": "zoe@example.org", "days": "14", "role": "member"},
        headers=EN,
    )
    assert response.status_code == 302
    page = client.get(response.location, headers=EN).text
    assert "is sent" not in page
    assert "No mail server is set up on this site, so no email went out." in page
    assert "Send this link to zoe@example.org yourself" in page
    link = re.search(r'id="new-invitation-link" value="[^"]+/invitations/([^"]+)"', page).group(1)
    auth.logout()
    assert client.get(f"/invitations/{link}", headers=EN).status_code == 200
