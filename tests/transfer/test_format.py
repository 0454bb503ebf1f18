"""The export format is one description (``app/transfer/format.py``): every column of
an exported table has a decision, and ``docs/export-format.md`` documents every field."""

from __future__ import annotations

import os

from app.transfer.format import BY_NAME, GROUP, SECTIONS, USERS

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "export-format.md")


def test_every_column_of_an_exported_table_is_written_or_left_out_on_purpose():
    """A column added to a model must be added to the format (or to ``omitted``): else
    an export would silently lose it."""
    undecided = []
    for section in BY_NAME.values():
        decided = {*section.fields, *section.html_columns, *section.omitted}
        if section is not GROUP and section is not USERS and section.parent is None:
            decided.add("group_id")
        undecided += [
            f"{section.table.name}.{c.name}" for c in section.table.columns if c.name not in decided
        ]
    assert undecided == []


def test_sections_come_after_what_they_refer_to():
    order = ["group", "users", *(s.name for s in SECTIONS)]
    for section in SECTIONS:
        for column, target in section.refs.items():
            assert order.index(target) <= order.index(section.name), (section.name, column)
        # references inside a JSON column are remapped as the row is written
        for key, target in section.nested.refs.items() if section.nested else ():
            assert order.index(target) < order.index(section.name), (section.name, key)


def test_the_documentation_names_every_section_and_field():
    with open(DOCS, encoding="utf-8") as f:
        text = f.read()
    missing = []
    for name, section in BY_NAME.items():
        if f"`{name}`" not in text:
            missing.append(name)
        missing += [f"{name}.{field}" for field in section.fields if f"`{field}`" not in text]
    assert missing == []
