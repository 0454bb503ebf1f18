"""The fragment cache (app/fragments.py): bounded in bytes, shared through Redis when
configured, off on demand, and a Redis that fails never fails a page."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import threading
import time

import pytest
from markupsafe import Markup

from app import fragments
from app.fragments import FragmentCache, LRUBytes, redis_url_for


def test_the_lru_keeps_under_its_byte_bound_and_drops_the_least_recent():
    lru = LRUBytes(100)
    lru.set("a", b"x" * 40)
    lru.set("b", b"x" * 40)
    assert lru.get("a") is not None  # a is now the most recent
    lru.set("c", b"x" * 40)
    assert lru.size <= 100
    assert lru.get("b") is None
    assert lru.get("a") is not None and lru.get("c") is not None
    lru.set("huge", b"x" * 500)  # larger than the whole bound: not kept
    assert lru.get("huge") is None and lru.size <= 100


def test_the_lru_holds_under_threads():
    lru = LRUBytes(10_000)

    def work(n):
        for i in range(500):
            lru.set(f"{n}-{i}", b"x" * (i % 50))
            lru.get(f"{n}-{i // 2}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lru.size <= 10_000
    assert lru.size == sum(len(k) + len(v) for k, (v, _cost) in lru._items.items())


def test_a_value_is_rendered_once_then_reused():
    cache = FragmentCache(enabled=True, max_bytes=1 << 20)
    calls = []

    def render():
        calls.append(1)
        return {"html": "<p>bonjour</p>", "ids": [1, 2]}

    first = cache.get_or_render("page", (1, 2, "fr"), render)
    second = cache.get_or_render("page", (1, 2, "fr"), render)
    assert first == second == {"html": "<p>bonjour</p>", "ids": [1, 2]}
    assert len(calls) == 1
    cache.get_or_render("page", (1, 3, "fr"), render)  # another revision
    assert len(calls) == 2


def test_off_renders_every_time():
    cache = FragmentCache(enabled=False, max_bytes=1 << 20)
    calls = []
    for _ in range(3):
        cache.get_or_render("page", (1,), lambda: calls.append(1) or "x")
    assert len(calls) == 3


def test_keys_carry_the_code_version():
    cache = FragmentCache(enabled=True, max_bytes=1 << 20)
    version = fragments.code_version()
    assert len(version) == 16 and cache.key("t", (1, 2)).endswith(f"{version}:t:1:2")
    assert fragments.code_version() == version  # computed once


def test_an_upgrade_of_a_rendering_library_changes_the_code_version(monkeypatch):
    """Babel upgraded on a deploy writes dates differently: parts it rendered are not
    served again by the new code (a shared Redis keeps them for a day)."""
    monkeypatch.setattr(fragments, "_code_version", None)
    before = fragments.code_version()
    installed = fragments._installed
    monkeypatch.setattr(
        fragments, "_installed", lambda name: "99.0" if name == "Babel" else installed(name)
    )
    monkeypatch.setattr(fragments, "_code_version", None)
    assert fragments.code_version() != before


def test_the_redis_url_defaults_to_the_rate_limits_redis():
    assert redis_url_for({"RATELIMIT_STORAGE_URI": "redis://h:6379/1"}) == "redis://h:6379/1"
    assert redis_url_for({"RATELIMIT_STORAGE_URI": "database://"}) == ""
    assert redis_url_for({"RATELIMIT_STORAGE_URI": "redis://h", "FRAGMENT_CACHE_URL": ""}) == ""
    assert redis_url_for({"FRAGMENT_CACHE_URL": "redis://other"}) == "redis://other"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_redis_renders_without_it_and_logs(caplog, monkeypatch):
    # (Alembic's logging setup, run by the migration tests, disables existing loggers)
    monkeypatch.setattr(logging.getLogger("cercle.fragments"), "disabled", False)
    cache = FragmentCache(
        enabled=True, max_bytes=1 << 20, redis_url=f"redis://127.0.0.1:{_free_port()}/0"
    )
    with caplog.at_level(logging.WARNING, logger="cercle.fragments"):
        assert cache.get_or_render("page", (1,), lambda: "rendu") == "rendu"
        assert cache.get_or_render("page", (1,), lambda: "autre") == "rendu"  # in process
    assert "Redis unreachable" in caplog.text


def test_the_thread_page_answers_when_redis_is_unreachable(make_app, make_user, make_group):
    app = make_app(FRAGMENT_CACHE_URL=f"redis://127.0.0.1:{_free_port()}/0")
    admin = make_user(name="Alice")
    group = make_group(admin)
    client = app.test_client()
    from fixtures.accounts import session_user_id

    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(app, admin.id)
    assert client.get(f"/g/{group.handle}/threads/new").status_code == 200


@pytest.fixture
def redis_server():
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own arguments
        [server, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_processes_share_fragments_through_redis(redis_server):
    import redis

    one = FragmentCache(enabled=True, max_bytes=1 << 20, redis_url=redis_server, ttl=60)
    other = FragmentCache(enabled=True, max_bytes=1 << 20, redis_url=redis_server, ttl=60)
    assert one.get_or_render("page", (7,), lambda: ["rendu", 1]) == ["rendu", 1]
    assert other.get_or_render("page", (7,), lambda: ["autre", 2]) == ["rendu", 1]
    ttl = redis.Redis.from_url(redis_server).ttl(one.key("page", (7,)))
    assert 0 < ttl <= 60


def test_a_value_put_in_redis_by_anyone_else_is_never_unpickled(redis_server):
    """Whoever can write to the Redis (another program, another site's key) cannot make
    this site unpickle their bytes: a value must carry this site's seal."""
    import pickle

    import redis

    ours = FragmentCache(
        enabled=True, max_bytes=1 << 20, redis_url=redis_server, ttl=60, secret=b"ours"
    )
    key = ours.key("page", (8,))
    forged = pickle.dumps(["forgé"])
    redis.Redis.from_url(redis_server).set(key, b"\0" * 32 + forged)
    assert ours.get_or_render("page", (8,), lambda: ["rendu"]) == ["rendu"]
    ours.local.clear()  # the sealed value is now in Redis: read back from there
    assert ours.get_or_render("page", (8,), lambda: ["autre"]) == ["rendu"]
    theirs = FragmentCache(
        enabled=True, max_bytes=1 << 20, redis_url=redis_server, ttl=60, secret=b"theirs"
    )
    theirs.prefix = ours.prefix  # even under the very same key
    assert theirs.get_or_render("page", (8,), lambda: ["leur"]) == ["leur"]


def test_two_sites_sharing_a_redis_never_show_each_other_s_fragments(
    make_app, redis_server, tmp_path
):
    """The rate limits' Redis (the default) may serve several sites: a thread of one at
    some revision is not the thread with the same id and revision of another."""
    ours = make_app(FRAGMENT_CACHE_URL=redis_server)
    theirs = make_app(
        f"sqlite:///{tmp_path / 'other.sqlite3'}",
        FRAGMENT_CACHE_URL=redis_server,
        SECRET_KEY="another-site-" + "x" * 40,
    )
    parts = (1, 3, 2, "fr", "Europe/Paris", True, True)
    with ours.app_context():
        assert fragments.get_or_render("thread-comments", parts, lambda: "Chez nous") == "Chez nous"
    with theirs.app_context():
        assert fragments.get_or_render("thread-comments", parts, lambda: "Chez eux") == "Chez eux"
    with make_app(FRAGMENT_CACHE_URL=redis_server).app_context():  # our other process
        assert fragments.get_or_render("thread-comments", parts, lambda: "?") == "Chez nous"


def test_a_kept_value_is_unpickled_once_and_shared_by_the_requests_that_read_it(monkeypatch):
    """The process keeps values decoded: a hit costs no ``pickle.loads`` and gives the
    very same object (callers only read it)."""
    import pickle

    cache = FragmentCache(enabled=True, max_bytes=1 << 20)
    first = cache.get_or_render("page", (1,), lambda: {"chunks": [(1, "<p>a</p>")]})
    loads = []
    real_loads = pickle.loads
    monkeypatch.setattr(pickle, "loads", lambda data: loads.append(1) or real_loads(data))
    second = cache.get_or_render("page", (1,), lambda: {"chunks": []})
    third = cache.get_or_render("page", (1,), lambda: {"chunks": []})
    assert second is third and second == first
    assert loads == []
    # bounded by the pickled size, as when the process kept the pickled bytes
    key = cache.key("page", (1,))
    assert cache.local.size == len(key) + len(pickle.dumps(first, pickle.HIGHEST_PROTOCOL))


def test_what_the_renderer_s_caller_changes_is_not_what_others_get():
    """On a miss, the caller gets ``render()``'s own value; the cache keeps a copy."""
    cache = FragmentCache(enabled=True, max_bytes=1 << 20)
    mine = cache.get_or_render("page", (2,), lambda: {"ids": [1, 2]})
    mine["ids"].append(3)
    assert cache.get_or_render("page", (2,), lambda: {"ids": []}) == {"ids": [1, 2]}


def test_a_value_read_from_redis_is_unpickled_once_then_kept_in_the_process(
    redis_server, monkeypatch
):
    import pickle

    one = FragmentCache(enabled=True, max_bytes=1 << 20, redis_url=redis_server, ttl=60)
    other = FragmentCache(enabled=True, max_bytes=1 << 20, redis_url=redis_server, ttl=60)
    one.get_or_render("page", (9,), lambda: ["rendu"])
    loads = []
    real_loads = pickle.loads
    monkeypatch.setattr(pickle, "loads", lambda data: loads.append(1) or real_loads(data))
    assert other.get_or_render("page", (9,), lambda: ["autre"]) == ["rendu"]
    assert other.get_or_render("page", (9,), lambda: ["autre"]) == ["rendu"]
    assert loads == [1]


def test_none_is_a_value_like_any_other():
    cache = FragmentCache(enabled=True, max_bytes=1 << 20)
    calls = []
    for _ in range(2):
        assert cache.get_or_render("page", (3,), lambda: calls.append(1)) is None
    assert calls == [1]


def _reference_compose(html, table, timeline=None):
    """``compose`` as it was first written: split every piece on every request."""

    def fill(text):
        parts = text.split(fragments.MARK)
        parts[1::2] = [table[part[0]](part[1:]) for part in parts[1::2]]
        return parts

    before, marker, after = html.partition("\x01T\x01")
    if timeline is None or not marker:
        return "".join(fill(html))
    out = fill(before)
    for piece in timeline:
        out += fill(piece)
    return "".join(out + fill(after))


def _outcome(function, *args, **kwargs):
    """What ``function`` returns, or the class of what it raises."""
    try:
        return function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - compared, not hidden
        return type(error)


@pytest.mark.parametrize("cache_on", [True, False])
def test_compose_shows_what_splitting_every_piece_showed(make_app, cache_on):
    """Pages are composed from plans kept per process (``FragmentCache.plan``): the same
    HTML as splitting and filling each piece on every request, whatever the pieces."""
    app = make_app(FRAGMENT_CACHE=cache_on)
    handlers = {
        "N": lambda a: f"<n{a}>",
        "A": lambda a: "" if a == "2" else f"[{a}]",
        "X": lambda a: a.partition("|")[2],
    }
    m = fragments.MARK
    pieces = [
        f"<li>{m}N1{m}{m}A1{m}x{m}X1|👍{m}</li>",
        f"<li>{m}N2{m}{m}A2{m}{m}N2{m}</li>",
        "<li>sans marque</li>",
        "",
        f"{m}A3{m}",
    ]
    pages = [
        f"<main>{m}N0{m}<ol>{m}T{m}</ol>{m}A0{m}</main>",
        f"{m}T{m}",
        f"<main>{m}T{m}{m}N9{m}</main>",
        f"<p>{m}N1{m}sans chronologie</p>",
        "",
    ]
    # a text «T» between two placeholders is text: splitting the page at it (the old
    # way) failed; the timeline goes only where a T placeholder is
    odd = f"<p>{m}N1{m}T{m}A1{m}</p>"
    with app.test_request_context():
        for timeline in (pieces, []):
            for _ in range(2):
                shown = fragments.compose(odd, handlers, timeline=timeline, whole_page=True)
                assert shown == "<p><n1>T[1]</p>"
        for page in pages:
            for timeline in (pieces, pieces[:1], [], pieces[::-1]):
                expected = _outcome(_reference_compose, page, handlers, timeline)
                for _ in range(2):  # the second time from the plan kept
                    assert (
                        _outcome(
                            fragments.compose, page, handlers, timeline=timeline, whole_page=True
                        )
                        == expected
                    ), (page, timeline)
                    # a response's body in UTF-8, the same bytes as the string's
                    assert _outcome(
                        fragments.compose, page, handlers, timeline=timeline, encoded=True
                    ) == (expected.encode() if isinstance(expected, str) else expected)
            if "\x01T\x01" not in page:
                assert fragments.compose(page, handlers) == _reference_compose(page, handlers)
                assert isinstance(fragments.compose(page, handlers), Markup)
