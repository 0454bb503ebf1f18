"""The one text check behind every field (app/textcheck.py), on plain values."""

from __future__ import annotations

import pytest

from app.textcheck import (
    find_text_problems,
    json_too_deep,
    one_line,
    text_problem,
    whole_number,
)


@pytest.fixture(autouse=True)
def _context(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize("text", ["Café des Lilas", "", "a\tb\nc\r\nd", "😀 عربى"])
def test_multi_line_text_that_passes(text):
    assert text_problem(text) is None


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "x\udfff", "a\x1bb", "\x7f"])
def test_multi_line_text_that_is_refused(text):
    assert text_problem(text)


@pytest.mark.parametrize("text", ["a\nb", "a\rb", "a\tb", "a\u2028b", "a\x85b"])
def test_single_line_text_refuses_every_control(text):
    assert text_problem(text) is None  # a text area keeps them
    assert text_problem(text, single_line=True) == (
        "Must be a single line, without control characters."
    )


def test_problems_are_named_by_their_path():
    value = {"a": ["ok", "b\x00"], "rules": {"k\x00": 1}, "c": {"d": "\ud800"}, "e": 1.5}
    assert find_text_problems(value) == {
        "a.1": "Contains a NUL character.",
        "rules": "Contains a NUL character.",
        "c.d": "Contains a character that is not valid text.",
    }


def test_depth_is_found_without_parsing():
    assert json_too_deep("[" * 100_000 + "]" * 100_000)
    assert json_too_deep("[" * 33 + "]" * 33)
    assert not json_too_deep("[" * 32 + "]" * 32)
    assert not json_too_deep('{"a": "' + "[" * 1000 + '"}')  # brackets in a string
    assert not json_too_deep('{"a": "\\"' + "{" * 1000 + '"}')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("-3", -3),
        ("²", None),
        ("١٢", None),
        ("1_000", None),
        ("1.5", None),
        ("", None),
        (None, None),
        ("2147483647", 2147483647),
        ("2147483648", None),
        ("9" * 5000, None),
    ],
)
def test_whole_numbers_are_ascii_digits_within_a_column(text, expected):
    assert whole_number(text) == expected


def test_one_line_for_email_headers():
    assert one_line("Cercle\r\nBcc: x@example.org") == "Cercle Bcc: x@example.org"
