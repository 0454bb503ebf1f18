"""The fragment cache: parts of pages rendered once and reused while nothing they show
has changed.

A fragment's key names everything it was rendered from: the revisions the database
keeps (``app/revisions.py``: read on every request, so a cached fragment is never
stale), the locale and time zone, and the *code version* (a hash of the templates,
the application's code, the compiled translations and the versions of the libraries
that render, computed once at start: a deploy never serves HTML rendered by the
previous code). Nothing that depends on the
viewer or on the current time may go into a fragment: pages compose those on top.

- In each process: a least-recently-used map bounded in bytes
  (``FRAGMENT_CACHE_MAX_BYTES``, 32 MiB by default), safe across threads.
- Shared by every process when ``FRAGMENT_CACHE_URL`` names a Redis server (by
  default the rate limits' Redis, ``RATELIMIT_STORAGE_URI``, when it is one), with a
  time to live (``FRAGMENT_CACHE_TTL``, a day). Redis unreachable: the page renders
  without it and the failure is logged (at most once a minute), never an error page.
- ``FRAGMENT_CACHE=false`` turns the cache off (every fragment is rendered each time).

Values are pickled for Redis, and to measure them. In Redis, which other programs may
reach, each value is sealed with an HMAC of its key and bytes under a key derived from
``SECRET_KEY``: a value that was not written by this site is never unpickled (it is a
miss, and logged). Each process keeps them decoded (unpickled once), and gives every
request the same object: what ``get_or_render`` returns is read, never changed.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.metadata
import logging
import os
import pickle
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from flask import Flask, current_app, g
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

log = logging.getLogger("cercle.fragments")

T = TypeVar("T")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Redis waits at most this long (seconds) before the page renders without it
REDIS_TIMEOUT = 0.25
#: a failing Redis is logged at most this often (seconds), and retried after it
REDIS_RETRY_SECONDS = 60
#: a single value larger than this (bytes) is not kept
MAX_VALUE_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
DEFAULT_TTL = 86400
#: what ``LRUBytes.get`` answers for a key it does not hold (``None`` may be a value)
_MISSING = object()


# -- the code version --------------------------------------------------------------------

_version_lock = threading.Lock()
_code_version: str | None = None


def _code_files() -> list[str]:
    files = []
    for folder, suffixes in (
        (os.path.join(ROOT, "templates"), (".html", ".txt", ".md", ".xml")),
        (os.path.join(ROOT, "app"), (".py", ".mo")),
    ):
        for directory, subdirs, names in os.walk(folder):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
            files += [os.path.join(directory, n) for n in sorted(names) if n.endswith(suffixes)]
    return files


#: the installed packages whose version changes what a page renders
RENDERING_LIBRARIES = (
    "Flask",
    "Jinja2",
    "MarkupSafe",
    "Babel",
    "Flask-Babel",
    "markdown-it-py",
    "WTForms",
    "Flask-WTF",
)


def _installed(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def code_version() -> str:
    """A short hash of the templates, the code and the compiled translations, computed
    once per process."""
    global _code_version
    with _version_lock:
        if _code_version is None:
            digest = hashlib.blake2b(digest_size=8)
            for path in _code_files():
                digest.update(os.path.relpath(path, ROOT).encode())
                with open(path, "rb") as f:
                    digest.update(f.read())
            # the libraries that render (an upgrade of Babel changes dates and plurals)
            for name in RENDERING_LIBRARIES:
                digest.update(f"{name}=={_installed(name)}".encode())
            _code_version = digest.hexdigest()
        return _code_version


# -- the in-process part --------------------------------------------------------------


class LRUBytes:
    """A least-recently-used map of ``str`` → a value, bounded by the total of the values'
    sizes in bytes (and their keys' lengths); safe across threads. A value's size is its
    length (``bytes``) unless ``set`` is told it (a decoded value: its pickled length)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max(0, int(max_bytes))
        self.size = 0
        #: key → (value, cost)
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return default
            self._items.move_to_end(key)
            return item[0]

    def set(self, key: str, value: Any, size: int | None = None) -> None:
        cost = len(key) + (len(value) if size is None else size)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            if cost > self.max_bytes:
                return
            self._items[key] = (value, cost)
            self.size += cost
            while self.size > self.max_bytes:
                _dropped_key, (_dropped, dropped_cost) = self._items.popitem(last=False)
                self.size -= dropped_cost

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._items)


class _Memo:
    """A map bounded in bytes (as its callers count them), emptied when full (each value
    is then made again once); read without a lock, safe across threads."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max(0, int(max_bytes))
        self.size = 0
        self._items: dict = {}
        self._lock = threading.Lock()

    def get(self, key) -> Any:
        return self._items.get(key)

    def put(self, key, value, size: int) -> None:
        with self._lock:
            if self.size + size > self.max_bytes:
                self._items.clear()
                self.size = 0
            if size <= self.max_bytes:
                self._items[key] = value
                self.size += size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


# -- the cache ------------------------------------------------------------------------


class FragmentCache:
    """The cache of one application (``init_app``); ``get_or_render`` is all pages use."""

    def __init__(
        self,
        *,
        enabled: bool,
        max_bytes: int,
        redis_url: str = "",
        ttl: int = DEFAULT_TTL,
        site: str = "",
        secret: bytes = b"",
    ):
        self.enabled = enabled
        self._seal_key = hashlib.blake2b(secret, digest_size=32, person=b"cercle-fragment").digest()
        self.local = LRUBytes(max_bytes)
        # what ``compose`` makes of the kept fragments, each once per process: their
        # parts (HTML → ``_Split``), the pages they make (HTML and timeline → ``_Plan``);
        # as large together at most as ``local``
        self.splits = _Memo(self.local.max_bytes // 2)
        self.plans = _Memo(self.local.max_bytes // 2)
        self.ttl = max(1, int(ttl))
        self.redis_url = redis_url
        self._redis = None
        self._redis_down_until = 0.0
        self._redis_lock = threading.Lock()
        # ``site`` tells apart the sites (databases) that may share one Redis
        self.prefix = f"cercle:fragment:{code_version()}:{site}{':' if site else ''}"

    # Redis, connected lazily and skipped for a while after a failure
    def _client(self):
        if not self.redis_url or time.monotonic() < self._redis_down_until:
            return None
        with self._redis_lock:
            if self._redis is None:
                import redis

                self._redis = redis.Redis.from_url(
                    self.redis_url,
                    socket_timeout=REDIS_TIMEOUT,
                    socket_connect_timeout=REDIS_TIMEOUT,
                )
            return self._redis

    def _redis_failed(self, error: Exception) -> None:
        self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        log.warning(
            "fragment cache: Redis unreachable (%s); rendering without it for %s s",
            error,
            REDIS_RETRY_SECONDS,
        )

    def _from_redis(self, key: str) -> bytes | None:
        """The pickled value Redis keeps under ``key``, if this site sealed it."""
        client = self._client()
        if client is None:
            return None
        try:
            sealed = client.get(key)
        except Exception as error:  # noqa: BLE001 - any Redis failure: render without it
            self._redis_failed(error)
            return None
        return None if sealed is None else self._open(key, sealed)

    def _seal(self, key: str, value: bytes) -> bytes:
        return hmac.digest(self._seal_key, key.encode() + b"\0" + value, "sha256") + value

    def _open(self, key: str, sealed: bytes) -> bytes | None:
        """The value, if this site sealed it under this very key."""
        seal, value = sealed[:32], sealed[32:]
        if hmac.compare_digest(seal, self._seal(key, value)[:32]):
            return value
        log.warning("fragment cache: a value in Redis under %s is not this site's", key)
        return None

    def _to_redis(self, key: str, data: bytes) -> None:
        client = self._client()
        if client is None:
            return
        try:
            client.set(key, self._seal(key, data), ex=self.ttl)
        except Exception as error:  # noqa: BLE001
            self._redis_failed(error)

    def key(self, name: str, parts: tuple) -> str:
        return self.prefix + name + ":" + ":".join(str(p) for p in parts)

    def get_or_render(self, name: str, parts: tuple, render: Callable[[], T]) -> T:
        """The value kept under ``name`` and ``parts`` (which must name everything it
        depends on), or ``render()``'s, kept for next time.

        This process keeps values decoded, and hands the very same object to every
        request that asks for it: callers read what they get, never change it. (On a
        miss, the caller gets ``render()``'s own value; what is kept is a copy.)"""
        if not self.enabled:
            return render()
        key = self.key(name, parts)
        value = self.local.get(key, _MISSING)
        if value is not _MISSING:
            return value
        data = self._from_redis(key)
        if data is not None:
            try:
                value = pickle.loads(data)  # noqa: S301 - this site's own (sealed in Redis)
            except Exception:  # noqa: BLE001 - an unreadable value is rendered again
                log.warning("fragment cache: unreadable value under %s", key)
            else:
                self.local.set(key, value, len(data))
                return value
        value = render()
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) <= MAX_VALUE_BYTES:
            # a copy of its own, bounded by its pickled size: the caller may go on
            # changing the value it was given (``pickle.loads`` copies faster than
            # ``copy.deepcopy``)
            self.local.set(key, pickle.loads(data), len(data))  # noqa: S301 - just made
            self._to_redis(key, data)
        return value

    def split(self, html: str) -> _Split:
        """``html`` split on its placeholders, once per process (``compose``)."""
        found = self.splits.get(html)
        if found is None:
            found = _Split(html)
            # the parts (as large as the string), and in UTF-8 once asked for
            self.splits.put(html, found, 3 * sys.getsizeof(html))
        return found

    def plan(self, html: str, timeline: list[str] | None) -> _Plan:
        """What ``compose`` makes of ``html`` and ``timeline``, once per process: the
        fragments come from this cache, the same string objects on every request."""
        key = (html, None if timeline is None else tuple(timeline))
        found = self.plans.get(key)
        if found is None:
            found = _plan(html, timeline, self.split)
            # the parts, and the strings the key keeps alive
            size = sys.getsizeof(html) + sum(map(sys.getsizeof, timeline or ()))
            self.plans.put(key, found, 3 * size)
        return found

    def clear(self) -> None:
        """Forget this process's fragments (Redis keeps its own until they expire)."""
        self.local.clear()
        self.splits.clear()
        self.plans.clear()


def redis_url_for(config) -> str:
    """``FRAGMENT_CACHE_URL``, else the rate limits' storage when it is a Redis server."""
    url = config.get("FRAGMENT_CACHE_URL")
    if url is None:
        limits = config.get("RATELIMIT_STORAGE_URI") or ""
        url = limits if limits.startswith(("redis://", "rediss://")) else ""
    return url


def site_of(config) -> str:
    """A short digest of what sets a site apart (its database and its secret key): the
    processes of one site share their fragments, two sites sharing a Redis (the rate
    limits' one, by default) never do, though their ids and revisions coincide."""
    digest = hashlib.blake2b(digest_size=8)
    for name in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY"):
        digest.update(str(config.get(name) or "").encode() + b"\0")
    return digest.hexdigest()


def init_app(app: Flask) -> None:
    app.extensions["fragments"] = FragmentCache(
        site=site_of(app.config),
        enabled=bool(app.config.get("FRAGMENT_CACHE", True)),
        max_bytes=int(app.config.get("FRAGMENT_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES)),
        redis_url=redis_url_for(app.config),
        ttl=int(app.config.get("FRAGMENT_CACHE_TTL", DEFAULT_TTL)),
        secret=str(app.config.get("SECRET_KEY") or "").encode(),
    )


def cache() -> FragmentCache:
    """The current application's fragment cache."""
    return current_app.extensions["fragments"]


def get_or_render(name: str, parts: tuple, render: Callable[[], Any]) -> Any:
    """``cache().get_or_render(...)``."""
    return cache().get_or_render(name, parts, render)


# -- rendering a fragment, composing a page -------------------------------------------------
#
# A fragment is rendered in *fragment mode*: what depends on the viewer or on the time of
# the request is written as a placeholder, ``\x01`` + a letter + an argument + ``\x01``
# (no text the application accepts holds a ``\x01``: app/textcheck.py), and ``compose``
# replaces the placeholders for this request. Pages go through the same two steps with
# the cache on or off, so the cache cannot change what they show.

MARK = "\x01"
#: the end of a chunk, in a fragment rendered as several
CHUNK = "\x02"
#: ``CHUNK`` in a template
CHUNK_MARKUP = Markup(CHUNK)  # noqa: S704 - a constant


#: placeholders any page may hold, filled by whoever registered them (a letter → a
#: function of the argument): the header's name of the reader, the unread count…
PAGE_HANDLERS: dict[str, Callable[[str], str]] = {}


def in_fragment() -> bool:
    """Whether a fragment is being rendered (filters and globals then write placeholders)."""
    return bool(g.get("fragment_mode"))


@contextmanager
def fragment_mode():
    """Render what is inside as a fragment (see above)."""
    previous = g.get("fragment_mode")
    g.fragment_mode = True
    try:
        yield
    finally:
        g.fragment_mode = previous


def mark(kind: str, argument: object = "") -> Markup:
    """A placeholder that ``compose`` replaces with ``handlers[kind](argument)``."""
    return Markup(f"{MARK}{kind}{escape(argument)}{MARK}")  # noqa: S704 - escaped


def csrf_token() -> str:
    """The ``csrf_token()`` of templates: one token per page, a placeholder in a fragment."""
    if in_fragment():
        return mark("C")
    token = g.get("page_csrf_token")
    if token is None:
        token = g.page_csrf_token = generate_csrf()
    return token


#: an ``R`` placeholder's moment, parsed once per process
_moment = lru_cache(maxsize=8192)(datetime.fromisoformat)


def _relative(now: datetime) -> Callable[[str], str]:
    """The ``R`` placeholder's filler: a moment seen from ``now``, each phrase made (and
    escaped) once per request whatever the number of moments it is written for."""
    from flask_babel import get_locale

    from .i18n import relative_key, relative_text

    locale = get_locale() or "fr"
    phrases: dict[tuple, str] = {}

    def relative(argument: str) -> str:
        moment = _moment(argument)
        key = relative_key(moment - now)
        text = phrases.get(key)
        if text is None:
            text = phrases[key] = str(escape(relative_text(moment, now, locale=locale)))
        return text

    return relative


def without_form_tokens(html: str) -> str:
    """A fragment's HTML with the CSRF token that forms rendered (Flask-WTF's, the same
    for the whole request) turned into the placeholder."""
    return html.replace(generate_csrf(), f"{MARK}C{MARK}")


#: between two pieces of a page in ``compose``'s list of parts, where a placeholder
#: would be: it stands for nothing
_JOINT = object()


class _Split:
    """A fragment's HTML split on ``MARK``: text and placeholders alternate in ``parts``;
    ``timeline``, the index in ``parts`` of its first ``T`` placeholder (where ``compose``
    puts the timeline), or None."""

    __slots__ = ("parts", "timeline", "_encoded")

    def __init__(self, html: str):
        self.parts = html.split(MARK)
        self.timeline = next(
            (i for i in range(1, len(self.parts), 2) if self.parts[i] == "T"), None
        )
        self._encoded: list | None = None

    @property
    def encoded(self) -> list:
        """``parts`` with the text in UTF-8 (made once, when first asked for)."""
        if self._encoded is None:
            encoded = self.parts.copy()
            encoded[::2] = [text.encode() for text in encoded[::2]]
            self._encoded = encoded
        return self._encoded


class _Plan:
    """A page ready to be filled: ``parts``, its pieces' parts in their places (text and
    placeholders alternate, a ``_JOINT`` between two pieces), and ``kinds``, each
    distinct placeholder once, by letter: (letter, placeholders, their arguments)."""

    __slots__ = ("parts", "kinds", "_page", "_pieces", "_encoded")

    def __init__(self, page: _Split, pieces: list[_Split] | None):
        self._page, self._pieces = page, pieces
        self.parts = self._assemble([piece.parts for piece in pieces or ()], page.parts)
        self._encoded: list | None = None
        kinds: dict[str, tuple[list[str], list[str]]] = {}
        for key in dict.fromkeys(self.parts[1::2]):
            if key is _JOINT:
                continue
            same, arguments = kinds.setdefault(key[:1], ([], []))
            same.append(key)
            arguments.append(key[1:])
        self.kinds = tuple((kind, tuple(k), tuple(a)) for kind, (k, a) in kinds.items())

    def _assemble(self, pieces: list[list], page: list) -> list:
        at = self._page.timeline
        if self._pieces is None or at is None:
            return page
        parts = page[:at]
        for piece in pieces:
            parts.append(_JOINT)
            parts += piece
        parts.append(_JOINT)
        parts += page[at + 1 :]
        return parts

    @property
    def encoded(self) -> list:
        """``parts`` with the text in UTF-8 (made once, when first asked for)."""
        if self._encoded is None:
            pieces = [piece.encoded for piece in self._pieces or ()]
            self._encoded = self._assemble(pieces, self._page.encoded)
        return self._encoded


def _plan(html: str, timeline: list[str] | None, split: Callable[[str], _Split]) -> _Plan:
    """``html`` with ``timeline``'s pieces in place of its ``T`` placeholder (as they
    come, when there is no timeline or no placeholder)."""
    page = split(html)
    if timeline is None or page.timeline is None:
        return _Plan(page, None)
    return _Plan(page, [split(p) for p in timeline])


def compose(
    html: str,
    handlers: dict[str, Callable[[str], str]] | None = None,
    *,
    timeline: list[str] | None = None,
    whole_page: bool = False,
    encoded: bool = False,
) -> str | bytes:
    """``html`` with its placeholders replaced for this request: the page's CSRF token
    (``C``), relative times seen from ``render_now()`` (``R``), ``handlers``' own (a
    letter → a function of the argument returning HTML), and ``timeline``'s pieces
    (composed the same way) in place of the ``T`` placeholder. Markup, or for a
    ``whole_page`` (a response's body) the string itself: not copied once more; or,
    ``encoded``, the body's bytes in UTF-8 (the text of the kept fragments is encoded
    once per process, not the whole page on every request).

    What the kept fragments make is found once per process (``FragmentCache.plan``);
    each distinct placeholder is filled once per request."""
    from .i18n import render_now

    kept = current_app.extensions.get("fragments")
    if kept is not None and kept.enabled:
        plan = kept.plan(html, timeline)
    else:
        plan = _plan(html, timeline, _Split)

    token: list[str] = []

    def csrf(_argument: str) -> str:
        if not token:  # one token per page, made only when the page holds a form
            token.append(csrf_token())
        return token[0]

    table: dict[str, Callable[[str], str]] = {
        **PAGE_HANDLERS,
        "C": csrf,
        "R": _relative(render_now()),
        **(handlers or {}),
    }
    # a placeholder's value, once per request for each one written several times (the
    # CSRF token of every form, the same moment)
    done: dict[object, str] = {_JOINT: ""}
    for kind, keys, arguments in plan.kinds:
        done.update(zip(keys, map(table[kind], arguments), strict=True))
    if encoded:
        done = {key: text.encode() for key, text in done.items()}
        out = plan.encoded.copy()
        out[1::2] = map(done.__getitem__, out[1::2])
        return b"".join(out)
    out = plan.parts.copy()
    out[1::2] = map(done.__getitem__, out[1::2])
    # ``html`` is rendered HTML, the handlers' values HTML built from escaped text
    page = "".join(out)
    return page if whole_page else Markup(page)  # noqa: S704
