"""API: a group's agreements, their versions and diffs, and the active rules.

Who may read: whoever reads the group's content (members; every signed-in person
for an open group). A secret group's agreements are 404 for non-members, a
closed group's are 403 for signed-in non-members (as its threads are), and one
agreement by id is 404 for anyone who may not read its group's content.

Reads first close the group's proposals whose closing time has passed
(``close_due_polls_before_read``, the one write allowed on a read path), so that what a
proposal adopted shows from its closing time on, whether or not the periodic
job has run.

Additions to DESIGN.md's list, documented in the OpenAPI document: ``body_html``
and ``repealed_at`` on every agreement, ``?as_of=`` on the list, ``result`` and
``body_html`` on each version, ``repealed_by_poll_id``, and
``PATCH /agreements/{id}`` (an admin's review date).

Every read runs a fixed number of SQL statements, whatever the number of
agreements and versions: the group (1), the caller's membership (1), the due
polls (1) and the versions with their agreements (1).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..api import Blueprint, api_user
from ..api.serialize import json_response
from ..errors import Conflict, Forbidden, NotFound
from ..extensions import db
from ..groups.models import Group
from ..groups.permissions import can_manage_group, can_read_content, can_see_group
from ..groups.services import lookup_group
from ..polls.services import close_due_polls_before_read
from ..timeutil import utcnow
from . import rules as rule_specs
from .models import Agreement, AgreementVersion
from .schemas import (
    AgreementDiffQuerySchema,
    AgreementDiffSchema,
    AgreementListQuerySchema,
    AgreementListSchema,
    AgreementSchema,
    AgreementUpdateSchema,
    RulesQuerySchema,
    RulesSchema,
)
from .serialize import agreement_summary_json
from .serialize import rules_json as rules_out
from .services import (
    AgreementState,
    AgreementVersionNotFound,
    active_rules,
    agreements_as_of,
    current_version,
    effective_review_on,
    load_agreement,
    set_review_on,
    version_diff,
)

blp = Blueprint("api_agreements", __name__, description="Agreements and the active rules")

SECURITY = [{"bearerAuth": []}]
UNAUTHORIZED = "No token, or not a valid one (`unauthorized`, `invalid_token`)."
GROUP_NOT_FOUND = "No such group, or a secret group the caller is not a member of (`not_found`)."
GROUP_FORBIDDEN = "A closed group: its agreements are for its members (`forbidden`)."
NOT_FOUND = "No such agreement, or the caller may not read its group (`not_found`)."


class AgreementNotActive(Conflict):
    code = "agreement_repealed"
    default_message = _l("This agreement has been repealed.")


# -- loading ---------------------------------------------------------------------------


def _group(handle: str) -> Group:
    """The group whose content the caller reads: 404 when unknown or secret to them, 403
    for a closed group's non-member."""
    group = lookup_group(handle)
    user = api_user()
    if group is None or not can_see_group(user, group):
        raise NotFound()
    if not can_read_content(user, group):
        raise Forbidden()
    return group


def _group_closed_if_due(handle: str, now: datetime) -> Group:
    group = _group(handle)
    if close_due_polls_before_read(group_id=group.id, now=now):
        group = lookup_group(handle)
    return group


def _agreement(agreement_id: int, now: datetime | None = None) -> tuple[Agreement, Group]:
    """The agreement with its versions, and its group (404 when the caller may not read
    it). With ``now``: the group's due proposals are closed first."""
    agreement = load_agreement(agreement_id)
    group = db.session.get(Group, agreement.group_id) if agreement is not None else None
    if group is None or not can_read_content(api_user(), group):
        raise NotFound()
    if now is not None and close_due_polls_before_read(group_id=group.id, now=now):
        agreement = load_agreement(agreement_id)
        group = db.session.get(Group, agreement.group_id)
    return agreement, group


# -- output ------------------------------------------------------------------------------


def _summary(
    agreement: Agreement,
    version: AgreementVersion,
    *,
    active: bool,
    repealed_at,
    review_on,
) -> dict:
    return {
        "id": agreement.id,
        "title": version.title,
        "status": "active" if active else "repealed",
        "version": version.version,
        "body": version.body,
        "body_html": version.body_html,
        "rules": dict(version.rules or {}),
        "adopted_at": version.adopted_at,
        "poll_id": version.poll_id,
        "review_on": review_on,
        "repealed_at": repealed_at,
    }


def state_json(state: AgreementState) -> dict:
    """An agreement in a list, as it stood at the list's ``as_of``, for
    ``AgreementSummarySchema`` to dump (the list sends ``serialize.py``'s, the same once
    dumped: the tests compare them)."""
    return _summary(
        state.agreement,
        state.version,
        active=state.active,
        repealed_at=state.repealed_at,
        review_on=state.review_on,
    )


def version_json(version: AgreementVersion) -> dict:
    return {
        "version": version.version,
        "title": version.title,
        "body": version.body,
        "body_html": version.body_html,
        "rules": dict(version.rules or {}),
        "adopted_at": version.adopted_at,
        "poll_id": version.poll_id,
        "change_summary": version.change_summary or "",
        "review_on": version.review_on,
        "result": version.result or None,
    }


def agreement_json(agreement: Agreement) -> dict:
    """One agreement as it stands now, with every version (its versions loaded)."""
    current = current_version(agreement)
    out = _summary(
        agreement,
        current,
        active=agreement.is_active,
        repealed_at=agreement.repealed_at,
        review_on=effective_review_on(agreement, current) if agreement.is_active else None,
    )
    out["repealed_by_poll_id"] = agreement.repealed_by_poll_id
    out["versions"] = [version_json(version) for version in agreement.versions]
    return out


def _source_json(source: rule_specs.RuleSource) -> dict:
    return {
        "agreement_id": source.agreement_id,
        "version": source.version,
        "title": source.title,
        "poll_id": source.poll_id,
        "adopted_at": source.adopted_at,
    }


def rules_json(active: dict[str, rule_specs.ActiveRule]) -> dict:
    """``{key: {value, default, source, overridden}}`` in rule order, for ``RulesSchema``
    to dump (the endpoint sends ``serialize.py``'s, the same once dumped: the tests
    compare them)."""
    return {
        key: {
            "value": rule.value,
            "default": rule.is_default,
            "source": _source_json(rule.source) if rule.source is not None else None,
            "overridden": [
                {**_source_json(other), "value": other.value} for other in rule.overridden
            ],
        }
        for key, rule in active.items()
    }


# -- endpoints ---------------------------------------------------------------------------


@blp.route("/groups/<handle>/agreements", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(AgreementListQuerySchema, location="query")
@blp.response(200, AgreementListSchema)
@blp.alt_response(
    400, description="`status` is not `active` or `all`; `as_of` is not a date or a zoned time."
)
@blp.alt_response(403, description=GROUP_FORBIDDEN)
@blp.alt_response(404, description=GROUP_NOT_FOUND)
def list_agreements(query, handle):
    """The group's agreements: each with its current version's title, text, rules, adoption
    time and deciding poll, and its review date.

    By default the active ones, oldest first. `status=all` adds the repealed ones after
    them, latest repealed first, with `repealed_at`. `as_of` (an addition) shows them as
    they stood then: the version current then, and `repealed` only for those repealed by
    then. The list does not grow without bound in practice, so it has no `next`.
    """
    now = utcnow()
    group = _group_closed_if_due(handle, now)
    state = agreements_as_of(group, query["as_of"] or now)
    items = [agreement_summary_json(s) for s in state.active]
    if query["status"] == "all":
        items += [agreement_summary_json(s) for s in state.repealed]
    return json_response({"items": items})


@blp.route("/agreements/<int:agreement_id>", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.response(200, AgreementSchema)
@blp.alt_response(404, description=NOT_FOUND)
def get_agreement(agreement_id):
    """One agreement as it stands, with every version (oldest first): its text, rules,
    change summary, review date, the poll that adopted it and that poll's result."""
    agreement, _group_ = _agreement(agreement_id, now=utcnow())
    return agreement_json(agreement)


@blp.route("/agreements/<int:agreement_id>", methods=["PATCH"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(AgreementUpdateSchema)
@blp.response(200, AgreementSchema)
@blp.alt_response(400, description="`review_on` is not a date, or not in the future.")
@blp.alt_response(403, description="Only the group's admins set a review date (`forbidden`).")
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="The agreement is repealed (`agreement_repealed`).")
def update_agreement(data, agreement_id):
    """Set or clear an agreement's review date (group admins; an addition to DESIGN.md).

    Versions are never edited: the date is kept on the agreement and takes precedence over
    the current version's own `review_on`; `null` clears it. The text and rules change only
    through a proposal (`agreement_change` on `POST /threads/{id}/polls`).
    """
    now = utcnow()
    agreement, group = _agreement(agreement_id, now=now)
    if not can_manage_group(api_user(), group):
        raise Forbidden(_("Only the group's admins set a review date."))
    if not agreement.is_active:
        raise AgreementNotActive()
    set_review_on(agreement, data["review_on"], now=now)
    agreement, _group_ = _agreement(agreement_id)
    return agreement_json(agreement)


@blp.route("/agreements/<int:agreement_id>/diff", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(AgreementDiffQuerySchema, location="query")
@blp.response(200, AgreementDiffSchema)
@blp.alt_response(
    400, description="`from` or `to` is missing or not a whole number of 1 or more (named)."
)
@blp.alt_response(
    404,
    description="No such agreement, or the caller may not read it (`not_found`); or it has no "
    "such version (`version_not_found`, naming `from` or `to` in `fields`).",
)
def diff_agreement(query, agreement_id):
    """The difference between two versions of an agreement: its text as a unified diff,
    and each rule set differently.

    Any two versions, in either order (`from` later than `to` shows the change backwards);
    the same version twice gives an empty `text` and `rules`.
    """
    agreement, _group_ = _agreement(agreement_id, now=utcnow())
    numbers = {version.version for version in agreement.versions}
    for name, number in (("from", query["from_version"]), ("to", query["to_version"])):
        if number not in numbers:
            raise AgreementVersionNotFound(
                _("This agreement has no version %(number)s.", number=number),
                fields={
                    name: _("No such version (the latest is %(latest)s).", latest=max(numbers))
                },
            )
    return version_diff(agreement, query["from_version"], query["to_version"])


@blp.route("/groups/<handle>/rules", methods=["GET"])
@blp.doc(security=SECURITY)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.arguments(RulesQuerySchema, location="query")
@blp.response(200, RulesSchema)
@blp.alt_response(400, description="`as_of` is not a date, or a time without a zone.")
@blp.alt_response(403, description=GROUP_FORBIDDEN)
@blp.alt_response(404, description=GROUP_NOT_FOUND)
def group_rules(query, handle):
    """The group's active rules, derived from its agreements, with their provenance.

    For each rule key: the value from the version adopted most recently among the current
    versions of the agreements active at `as_of` (ties: the later poll), that version as
    `source`, and the other current versions setting the key as `overridden`. A key no
    active agreement sets has its default, `default: true` and `source: null` (not agreed
    yet). `as_of` defaults to now; a date means the end of that day in UTC.
    """
    now = utcnow()
    group = _group_closed_if_due(handle, now)
    as_of = query["as_of"] or now
    return json_response(rules_out(as_of, active_rules(group, as_of)))
