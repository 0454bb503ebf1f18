"""``bench/pages.py`` is not run by the suite (it serves with gunicorn and loads it for
a while); this smoke test imports it, builds a tiny data set on its own SQLite file,
and checks that every measured address answers 200 through its WSGI dispatcher with
the signed session cookie or the token, without any server."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest
from werkzeug.test import Client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def bench():
    """``bench/pages.py`` imported as a module."""
    spec = importlib.util.spec_from_file_location(
        "bench_pages", os.path.join(ROOT, "bench", "pages.py")
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_percentiles_are_nearest_rank(bench):
    values = [float(n) for n in range(1, 101)]
    assert bench.percentile(values, 0.50) == 50.0
    assert bench.percentile(values, 0.95) == 95.0
    assert bench.percentile([3.0], 0.95) == 3.0
    assert bench.percentile([], 0.5) == 0.0


def test_the_tiny_data_set_is_served_by_the_dispatcher(bench, tmp_path, monkeypatch):
    url = "sqlite:///" + str(tmp_path / "bench.sqlite3")
    key = "smoke-test-secret-key-of-32-characters-at-least"
    data = bench.build(url, key, comments=12, members=18, agreements=2, versions=2)
    assert (data.comments, data.stances, data.agreements, data.versions) == (12, 18, 2, 2)

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("PUBLIC_URL", "http://localhost")
    monkeypatch.setenv("CERCLE_INSTANCE_PATH", str(tmp_path))
    client = Client(bench.wsgi(), use_cookies=False)
    cookie = bench.session_cookie(key, data)
    for name, path, headers in bench.targets(data, cookie):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (name, path, response.status_code)
    agreements = client.get(
        f"/api/v1/groups/{data.handle}/agreements",
        headers={"Authorization": f"Bearer {data.token}"},
    ).get_json()["items"]
    assert [a["version"] for a in agreements] == [2, 2]
    poll = client.get(
        f"/api/v1/polls/{data.poll_id}", headers={"Authorization": f"Bearer {data.token}"}
    ).get_json()
    assert [r["count"] for r in poll["results"]] == [5, 8, 3, 2]


def test_the_markdown_bench_prints_a_figure_per_shape(capsys):
    """``bench/markdown.py`` runs (two quick shapes here) and its shapes fit the limits."""
    from app import limits

    spec = importlib.util.spec_from_file_location(
        "bench_markdown_smoke", os.path.join(ROOT, "bench", "markdown.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--repeat", "1", "--only", "prose", "*"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith(("prose", "stars"))]
    assert len(rows) == 2 and all(len(row.split()) >= 3 for row in rows)
    assert lines[-1].startswith("worst: comment ")
    for size in (limits.COMMENT, limits.DOCUMENT):
        shapes = module.shapes(size)
        assert len(shapes) == len(module.UNITS) + 2
        assert all(0 < len(text) <= size for _name, text in shapes)
