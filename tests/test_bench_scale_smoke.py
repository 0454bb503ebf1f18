"""``bench/bigdata.py`` and ``bench/scale.py`` are not run by the suite (the big data set
takes minutes and a PostgreSQL database of its own, which it empties): this imports them
and checks the sizes they promise (issue 10's "Scale") and the same shape when smaller."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", os.path.join(ROOT, "bench", f"{name}.py")
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


def test_the_full_scale_is_the_issues_data_set():
    sizes = _load("bigdata").Sizes.at(1)
    assert (sizes.threads, sizes.comments, sizes.polls, sizes.stances, sizes.notifications) == (
        20_000,
        1_000_000,
        50_000,
        500_000,
        1_000_000,
    )
    assert sizes.big_group_threads == 5_000


def test_a_small_scale_keeps_the_shape():
    bigdata = _load("bigdata")
    small, full = bigdata.Sizes.at(0.01), bigdata.Sizes.at(1)
    assert small.threads == 200 and small.comments == 10_000
    # every agreement has a proposal of its own, and circles keep their size
    assert small.polls >= small.versions >= small.agreements
    assert (small.big_group_members, small.group_members) == (
        full.big_group_members,
        full.group_members,
    )
    with pytest.raises(ValueError):
        bigdata.Sizes.at(0)


def test_the_scale_script_names_lines_the_same_on_both_databases():
    scale = _load("scale")
    assert scale.key("group page, deep (page 250)") == scale.key("group page, deep (page 3)")
    assert scale.key("thread page (50 comments)") == "thread page"
