"""Shared machinery of the JSON API (``/api/v1``).

- ``Blueprint``: flask-smorest blueprints whose input errors are 400 with the
  documented error shape and fields named (``rules.relance_after_days``).
- Bearer-token authentication, checked before routing so that a missing or
  bad token is 401 before any 404.
- One error shape for everything under ``/api/``:
  ``{"error": {"code", "message", "fields"}}``, messages in the caller's language.
- ``ErrorResponses``: the OpenAPI document's security and error responses, derived
  for every operation from what the code does (one place, not 112 decorators).
"""

from __future__ import annotations

import hashlib
import http
import json
from functools import wraps

import flask_smorest
from apispec import BasePlugin
from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from marshmallow import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from ..errors import DomainError, NotAuthenticated, ValidationFailed
from ..extensions import api
from ..textcheck import (
    MAX_JSON_DEPTH,
    find_text_problems,
    json_may_hold_bad_text,
    json_too_deep,
)
from .messages import localize_message

API_PREFIX = "/api/v1"
#: endpoints reachable without a token
PUBLIC_ENDPOINTS: set[str] = {"api-docs.openapi_json"}


def _flatten(messages, prefix: str = "") -> dict[str, str]:
    """``{"rules": {"relance_after_days": ["..."]}}`` → ``{"rules.relance_after_days": "..."}``."""
    out: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "body"
            out.update(_flatten(value, name))
    elif isinstance(messages, list | tuple):
        if messages and all(isinstance(m, str) for m in messages):
            out[prefix or "body"] = localize_message(messages[0])
        else:
            for item in messages:
                out.update(_flatten(item, prefix))
    else:
        out[prefix or "body"] = localize_message(str(messages))
    return out


class ApiParser(FlaskParser):
    """Input parser raising our 400 with the fields named."""

    DEFAULT_VALIDATION_STATUS = 400

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages
        # webargs keys messages by location ("json", "query"): drop that level.
        if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "view_args"}:
            merged: dict = {}
            for value in messages.values():
                merged.update(value if isinstance(value, dict) else {"body": value})
            messages = merged
        raise ValidationFailed(fields=_flatten(messages))

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise ValidationFailed(_("The body is not valid JSON."), code="invalid_json")

    def _raw_load_json(self, req):
        """The body parsed, once checked: not nested deeper than ``MAX_JSON_DEPTH`` (before
        parsing, which would recurse until Python gives up), and no string or key holding
        a NUL, a lone surrogate or a stray control (``app/textcheck.py``), named by path."""
        data = req.get_data(cache=True) if is_json_request(req) else b""
        limit = req.max_content_length
        if req.content_length is None and limit is not None and len(data) >= limit:
            # A body sent in chunks (no Content-Length) is cut at the limit, not refused:
            # what was cut is a body too large, not bad JSON.
            raise RequestEntityTooLarge()
        if data and json_too_deep(data):
            raise ValidationFailed(
                _("The body is nested too deeply."),
                code="invalid_json",
                fields={"body": _("Nested more than %(n)s levels deep.", n=MAX_JSON_DEPTH)},
            )
        try:
            value = super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except ValueError:
            # Valid JSON Python will not read: a number of more than 4,300 digits
            # (``sys.get_int_max_str_digits``), which webargs does not catch.
            raise ValidationFailed(
                _("The body is not valid JSON."),
                code="invalid_json",
                fields={"body": _("The body is not valid JSON.")},
            ) from None
        suspect = value is not missing and json_may_hold_bad_text(data)
        problems = find_text_problems(value) if suspect else {}
        if problems:
            raise ValidationFailed(fields=problems)
        return value

    def load_json(self, req, schema):
        if req.mimetype != "application/json" and req.get_data(cache=True):
            raise ValidationFailed(
                _("Send the body as JSON (Content-Type: application/json)."), code="invalid_json"
            )
        return super().load_json(req, schema)


def _require_body(view):
    """A required JSON body that is empty is a 400 naming ``body``, as a bad one is
    (webargs would read it as ``{}``)."""

    @wraps(view)
    def checked(*args, **kwargs):
        if not request.get_data(cache=True).strip():
            raise ValidationFailed(
                _("Send the body as JSON (Content-Type: application/json)."),
                code="invalid_json",
                fields={"body": _("A JSON body is required.")},
            )
        return view(*args, **kwargs)

    return checked


class Blueprint(flask_smorest.Blueprint):
    """An API blueprint with our argument parser; a JSON body is required unless the
    view says ``required=False`` (then an empty body reads as ``{}``)."""

    ARGUMENTS_PARSER = ApiParser()

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        decorator = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json" or not required:
            return decorator
        return lambda view: _require_body(decorator(view))


def public(view):
    """Mark an API view as reachable without a token."""
    view._api_public = True
    return view


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def error_response(status: int, code: str, message, fields: dict | None = None):
    """The documented error body, with its status."""
    body = {"error": {"code": code, "message": str(message), "fields": fields or {}}}
    response = jsonify(body)
    response.status_code = status
    return response


#: ``loader(token_hash) -> user | None``: set by the accounts feature (``token_loader``)
_token_loader = None


def token_loader(loader):
    """Register how a token's hash finds its user (the accounts feature does, at start)."""
    global _token_loader
    _token_loader = loader
    return loader


def _endpoint_for_405() -> str | None:
    """The endpoint of an address that exists with other methods (a 405), if any."""
    error = request.routing_exception
    if not isinstance(error, MethodNotAllowed):
        return None
    methods = [m for m in error.valid_methods or () if m not in ("HEAD", "OPTIONS")]
    if not methods:
        return None
    try:
        endpoint, _args = current_app.create_url_adapter(request).match(method=methods[0])
    except HTTPException:
        return None
    return endpoint


def _is_public() -> bool:
    # An unsupported method on a public address (``TRACE /users``) is its 405, not a 401.
    endpoint = request.endpoint or _endpoint_for_405() or ""
    view = current_app.view_functions.get(endpoint)
    return endpoint in PUBLIC_ENDPOINTS or getattr(view, "_api_public", False)


def _authenticate():
    """Resolve the Bearer token of an API request (before routing's 404)."""
    if not request.path.startswith(API_PREFIX):
        return None
    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        user = _token_loader(hash_token(token)) if _token_loader is not None else None
        if user is not None:
            g.api_user = user
            g.api_token_hash = hash_token(token)
            return None
        if not _is_public():  # a stale token must not stop anyone getting a new one
            return error_response(401, "invalid_token", _("The API token is not valid."))
    if _is_public():
        return None
    return error_response(
        401, "unauthorized", _("A valid API token is required (Authorization: Bearer …).")
    )


def _handle_domain_error(error: DomainError):
    if request.path.startswith(API_PREFIX):
        return error_response(error.status, error.code, error.message, error.fields)
    from ..views_errors import render_error_page

    return render_error_page(error.status, error.message, fields=error.fields)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
}


def _handle_http_exception(error: HTTPException):
    if not request.path.startswith("/api/"):
        from ..views_errors import render_error_page

        return render_error_page(error.code or 500, None, error)
    status = error.code or 500
    code = _HTTP_CODES.get(status, "error")
    messages = {
        400: _("The request is not valid."),
        401: _("A valid API token is required (Authorization: Bearer …)."),
        403: _("You are not allowed to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state."),
        413: _("The request is too large."),
        415: _("Send the body as JSON (Content-Type: application/json)."),
        429: _("Too many requests: wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again in a moment."),
    }
    # werkzeug's stock descriptions are English prose; a description given to abort() is kept.
    custom = error.description if error.description != type(error).description else None
    message = custom or messages.get(status) or error.name
    if status == 429:  # a rate limit's description is the limit ("5 per 1 minute")
        from ..views_errors import custom_rate_limit_message

        message = custom_rate_limit_message(error) or messages[429]
    response = error_response(status, code, message)
    if status == 429 and getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


BEARER = [{"bearerAuth": []}]
ERROR_CONTENT = {"application/json": {"schema": "Error"}}
#: what the server answers on every operation of a kind, whatever its view says
COMMON_ERRORS = {
    400: "Invalid input: each bad field is named in `fields` (`validation_error`), or the "
    "body is missing or not JSON (`invalid_json`).",
    401: "No token, or a token that is not valid (`unauthorized`, `invalid_token`).",
    404: "Not found, or not visible to the caller (`not_found`).",
    413: "The request body is larger than the server accepts (`too_large`).",
}
_METHODS = {"get", "put", "post", "patch", "delete"}


class ErrorResponses(BasePlugin):
    """Documents, for every API operation, what the server does rather than what each
    view remembered to say:

    - ``security``: a token is required unless the view is ``@public`` (``_authenticate``);
      then 401 is documented, checked before anything else;
    - 400 when the operation reads a body or a query string (webargs, ``ApiParser``);
    - 404 when its path names something (every view looks it up, 404 when not visible);
    - 413 on operations with a body when ``MAX_CONTENT_LENGTH`` is set;
    - every error response has the one ``Error`` schema (DESIGN.md's shape);
    - no catch-all ``default`` response: a status not listed is a bug.
    """

    def __init__(self, app):
        super().__init__()
        self.app = app

    def _is_public(self, rule, method: str) -> bool:
        if rule is None:
            return False
        if rule.endpoint in PUBLIC_ENDPOINTS:
            return True
        view = self.app.view_functions.get(rule.endpoint)
        handler = getattr(getattr(view, "view_class", None), method, view)
        return bool(getattr(view, "_api_public", False) or getattr(handler, "_api_public", False))

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        has_path_args = bool(rule.arguments) if rule is not None else "{" in (path or "")
        for method, operation in (operations or {}).items():
            if method not in _METHODS:
                continue
            # flask-smorest keys responses by int, apispec by str: one key per status
            responses = {str(k): v for k, v in operation.get("responses", {}).items()}
            operation["responses"] = responses
            responses.pop("default", None)
            statuses = set()
            if self._is_public(rule, method):
                operation.pop("security", None)
            else:
                operation["security"] = BEARER
                statuses.add(401)
            params = operation.get("parameters", [])
            if "requestBody" in operation or any(p.get("in") == "query" for p in params):
                statuses.add(400)
            if has_path_args:
                statuses.add(404)
            if "requestBody" in operation and self.app.config.get("MAX_CONTENT_LENGTH"):
                statuses.add(413)
            for status in statuses:
                if str(status) not in responses:
                    responses[str(status)] = {"description": COMMON_ERRORS[status]}
            for status, response in list(responses.items()):
                if not str(status).startswith(("4", "5")):
                    continue
                if not isinstance(response, dict):  # a reference such as "BAD_REQUEST"
                    response = {
                        "description": COMMON_ERRORS.get(
                            int(status), http.HTTPStatus(int(status)).phrase
                        )
                    }
                    responses[status] = response
                response["content"] = dict(ERROR_CONTENT)
        return None


def init_api(app, blueprints):
    """Initialise flask-smorest, register the API blueprints and the handlers."""
    from .schemas import ErrorSchema

    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(
        app,
        spec_kwargs={
            "extra_plugins": [ErrorResponses(app)],
            "info": {
                "description": (
                    "Cercle's JSON API. Authenticate with `Authorization: Bearer <token>` "
                    "(POST /api/v1/tokens): without a valid one, every operation but those "
                    "two account ones is 401, before any 404. Errors are "
                    '`{"error": {"code", "message", "fields"}}` (`fields` is `{}` when no '
                    "field is at fault), and each operation lists every status it answers. "
                    "A request body, where one is marked required, is a JSON object: an "
                    "empty body, or one that is not JSON, is 400 `invalid_json` naming "
                    "`body`. A method an address does not take is 405 with `Allow` (after "
                    "the 401 on addresses that need a token). Bounds the document's fields "
                    "do not all repeat: a body is at most 1 MiB (413 `too_large`) and JSON "
                    "at most 32 levels deep; ids are 1 to 2^31-1 (an id past that in a path "
                    "is 404, in a body or query 400); days and times lie between 1900-01-01 "
                    "and 2999-12-31 (a closing time: in the future, at most 366 days "
                    "ahead); text holds no NUL byte nor lone surrogate, and one-line "
                    "fields (names, titles, addresses) no control character; a Markdown "
                    "text that is mostly markup (beyond any prose) is kept as written and "
                    "shown as plain paragraphs."
                )
            },
            "servers": [{"url": "/"}],
        },
    )
    if "Error" not in api.spec.components.schemas:
        api.spec.components.schema("Error", schema=ErrorSchema)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "opaque token"}
    )
    for blp in blueprints:
        api.register_blueprint(blp, url_prefix=API_PREFIX)
    app.before_request(_authenticate)
    app.register_error_handler(DomainError, _handle_domain_error)
    # Replaces flask-smorest's app-wide handler: JSON under /api/, pages elsewhere.
    app.register_error_handler(HTTPException, _handle_http_exception)


def api_user():
    """The user behind the request's token (always set on non-public endpoints)."""
    user = g.get("api_user")
    if user is None:
        raise NotAuthenticated()
    return user
