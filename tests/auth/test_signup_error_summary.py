"""Sign-up, sign-in and reset errors: a summary at the top that takes the focus, the
title says «Error:», fields tied to their messages, help text stays help, and a valid
password survives an error elsewhere."""

from __future__ import annotations

import re

EN = {"Accept-Language": "en"}


def _signup(client, **fields):
    data = {
        "name": "Claire",
        "email": "claire@example.org",
        "password": "un mot de passe assez long",
        "confirm": "un mot de passe assez long",
    }
    data.update(fields)
    return client.post("/signup", data=data, headers=EN).get_data(as_text=True)


def test_a_sign_up_error_is_summarised_focused_and_named_in_the_title(client):
    html = _signup(client, email="pas une adresse", confirm="autre chose du tout")
    assert "<title>Error: Sign up · Cercle</title>" in html
    summary = html[
        html.index('class="error-summary"') : html.index("</div>", html.index("error-summary"))
    ]
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    assert '<a href="#email">Email address: Invalid email address.</a>' in summary
    assert '<a href="#confirm">Password again: The two passwords differ.</a>' in summary
    assert re.search(
        r'<input[^>]*aria-describedby="email-error"[^>]*aria-invalid="true"', html
    ) or re.search(r'<input[^>]*aria-invalid="true"[^>]*id="email"', html)
    # a password in error is cleared
    assert "un mot de passe assez long" not in html


def test_a_valid_password_is_kept_when_the_error_is_elsewhere(client):
    html = _signup(client, name="x" * 101)
    assert html.count('value="un mot de passe assez long"') == 2
    assert '<a href="#name">' in html


def test_sign_in_and_reset_errors_have_the_summary_too(client):
    html = client.post("/signin", data={"email": "", "password": ""}, headers=EN).get_data(
        as_text=True
    )
    assert "<title>Error: Sign in · Cercle</title>" in html and "error-summary" in html
    assert "autofocus" not in html.split('class="error-summary"')[1].split("</div>", 1)[1]
    html = client.post("/password/reset", data={"email": "x"}, headers=EN).get_data(as_text=True)
    assert "<title>Error: Forgot your password? · Cercle</title>" in html
