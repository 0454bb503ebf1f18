"""Cercle: deliberation and agreements for mutual-support circles."""

from __future__ import annotations

import os

from flask import Flask, session
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from .caching import register_no_store
from .config import Defaults, check_secret_key, from_environment
from .db import commit_unit_of_work, rollback_unit_of_work
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .hosts import refuse_unknown_hosts
from .textcheck import JSONProvider

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CercleFlask(Flask):
    """Flask with one unit of work per request (see ``app/db.py``).

    A view that returns normally is committed before its response leaves
    (rolled back instead when it answers with an error status); a commit that
    fails becomes the app's own 500. Any exception rolls the session back
    first, so the error page or JSON error renders with a usable session.
    """

    json_provider_class = JSONProvider

    def dispatch_request(self):
        response = self.make_response(super().dispatch_request())
        try:
            commit_unit_of_work(response.status_code)
        except Exception:
            # What the view flashed ("Your comment is posted") did not happen.
            session.pop("_flashes", None)
            raise
        return response

    def handle_user_exception(self, e):
        rollback_unit_of_work()
        return super().handle_user_exception(e)

    def handle_exception(self, e):
        rollback_unit_of_work()
        return super().handle_exception(e)


def create_app(config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, handlers, commands."""
    app = CercleFlask(
        __name__,
        instance_path=os.environ.get("CERCLE_INSTANCE_PATH") or os.path.join(ROOT, "instance"),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    configure(app, config)
    refuse_unknown_hosts(app)
    from .converters import IdConverter, TextConverter

    # before any route is registered
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    init_extensions(app)
    connect_subscribers(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_no_store(app)
    register_cli(app)
    return app


def configure(app: Flask, config: dict | None) -> None:
    """Defaults, then the environment, then the given mapping (tests)."""
    app.config.from_object(Defaults)
    app.config.update(from_environment(app.instance_path))
    if config:
        app.config.update(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)
    if app.config.get("BEHIND_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    if not (app.debug or app.testing):
        check_secret_key(app.config["SECRET_KEY"])


def init_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this application."""
    # Imported here: the submodule app.mail, once imported, shadows a package-level `mail`.
    from .extensions import mail
    from .i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    mail.init_app(app)
    from . import ratelimit  # noqa: F401 - registers the database:// storage of the limits

    limiter.init_app(app)
    login_manager.init_app(app)
    from . import fragments

    fragments.init_app(app)
    from .auth.services import load_user_from_session

    login_manager.user_loader(load_user_from_session)


#: features that react to the events of the features below them, or answer their
#: extension points (``app/events.py``, ``app/hooks.py``): each has a
#: ``subscribers.connect()``
SUBSCRIBING_FEATURES = (
    "auth",
    "groups",
    "threads",
    "polls",
    "agreements",
    "proposals",
    "notifications",
    "webhooks",
)


def connect_subscribers(app: Flask) -> None:
    """Connect every feature's receivers to the events and extension points, once.

    The signals are global (blinker), and connecting a function twice keeps one
    connection, so building several applications (tests) changes nothing.
    """
    from importlib import import_module

    from . import outbox  # noqa: F401 - its tables belong to the schema

    for feature in SUBSCRIBING_FEATURES:
        import_module(f"app.{feature}.subscribers").connect()


#: features with pages: each package's ``views`` module attaches its routes to
#: the package's ``bp`` (importing a package never pulls in its views, so
#: services and models import each other without cycles)
PAGE_FEATURES = (
    "dashboard",
    "auth",
    "groups",
    "threads",
    "polls",
    "agreements",
    "proposals",
    "support",
    "notifications",
    "webhooks",
    "search",
    "account",
    "transfer",
)
#: features with a JSON API: ``<feature>.api.blp``
API_FEATURES = (
    "auth",
    "groups",
    "threads",
    "polls",
    "agreements",
    "support",
    "notifications",
    "webhooks",
    "search",
    "account",
    "transfer",
)


def register_blueprints(app: Flask) -> None:
    """Pages and API of each feature."""
    from importlib import import_module

    from .api import init_api
    from .views_errors import bp as errors_bp

    for feature in PAGE_FEATURES:
        import_module(f"app.{feature}.views")
        app.register_blueprint(import_module(f"app.{feature}").bp)
    app.register_blueprint(errors_bp)
    api_blueprints = [import_module(f"app.{feature}.api").blp for feature in API_FEATURES]
    for blp in api_blueprints:
        csrf.exempt(blp)  # the API authenticates with Bearer tokens, never cookies
    init_api(app, api_blueprints)
    from .textcheck import refuse_bad_request_text

    app.before_request(refuse_bad_request_text)  # after the API's token check: 401 first


def register_template_helpers(app: Flask) -> None:
    """Filters and globals that every template may use."""
    from importlib import import_module

    from . import bidi, fragments, i18n

    # one CSRF token per page, a placeholder inside a cached fragment (app/fragments.py)
    app.jinja_env.globals["csrf_token"] = fragments.csrf_token
    app.jinja_env.globals["mark"] = fragments.mark
    app.jinja_env.filters["datetime"] = i18n.datetime_filter
    app.jinja_env.filters["date"] = i18n.date_filter
    app.jinja_env.filters["iso"] = i18n.iso_filter
    app.jinja_env.filters["moment"] = i18n.moment_filter
    app.jinja_env.filters["ago"] = i18n.ago_filter

    @app.context_processor
    def render_clock() -> dict:
        """``now`` for relative times (``|moment(now)``): read once per request, so
        that every phrase of a page is measured from the same instant."""
        return {"now": i18n.render_now()}

    # HTML that app/markdown.py produced at write time (never raw user text).
    app.jinja_env.filters["markdown_html"] = lambda value: Markup(value or "")  # noqa: S704
    app.jinja_env.globals["html_lang"] = i18n.html_lang
    app.jinja_env.filters["bdi"] = bidi.bdi  # a person's text, isolated (app/bidi.py)
    app.jinja_env.filters["bidi_text"] = bidi.bidi_text
    app.jinja_env.globals["can"] = template_predicates(
        import_module(f"app.{feature}.permissions") for feature in PREDICATE_FEATURES
    )


#: features whose ``permissions`` module templates call through ``can``
PREDICATE_FEATURES = ("groups", "threads", "polls", "agreements")


def template_predicates(modules) -> dict:
    """The named predicates templates call: ``can.comment(current_user, thread)``,
    ``can.is_admin(current_user, group)`` (the ``can_`` prefix is dropped)."""
    return {
        name.removeprefix("can_"): getattr(module, name)
        for module in modules
        for name in dir(module)
        if name.startswith(("can_", "is_"))
    }


def register_security_headers(app: Flask) -> None:
    """A CSP without inline script, and the usual hardening headers."""
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )

    @app.after_request
    def set_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def register_cli(app: Flask) -> None:
    """``flask demo`` and the other commands."""
    from .backup import backup_command
    from .demo.cli import demo_command
    from .jobs.cli import jobs_command
    from .transfer.cli import groups_command

    app.cli.add_command(backup_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(jobs_command)
    app.cli.add_command(groups_command)
