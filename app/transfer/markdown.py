"""The agreements page and a thread as Markdown files, in the reader's language and
time zone, showing exactly what the pages show the reader: an anonymous poll's
stances name nobody, and results hidden from the reader stay hidden.

People's texts are written as they wrote them (Markdown in Markdown); the lines
around them are ours. Links are absolute, on the public address.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext

from ..agreements.display import result_text, rule_lines, value_text
from ..agreements.services import agreements_as_of
from ..auth.models import User
from ..groups.models import Group
from ..i18n import format_day, format_moment
from ..polls.display import percent_text
from ..polls.models import Poll
from ..polls.services import (
    describe_choice,
    option_names,
    poll_outcome,
    read_polls,
    thread_poll_list,
)
from ..threads.models import Comment, Thread
from ..threads.services import thread_comments
from ..urls import external_url


def _text(value: str) -> str:
    """A person's Markdown, ended by a blank line; an empty text says so."""
    return (value or "").strip() or "_" + _("(no text)") + "_"


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _one_line(value: str) -> str:
    """A name or title on one line, its Markdown table and emphasis characters escaped."""
    out = " ".join((value or "").split())
    for char in "\\|*_`[]<>#":
        out = out.replace(char, "\\" + char)
    return out


# -- the agreements page ---------------------------------------------------------------


def agreements_markdown(group: Group, *, now: datetime) -> str:
    """The agreements in force with their current text, the active rules with where each
    comes from, and the repealed agreements: the agreements page, for a shared folder."""
    state = agreements_as_of(group.id, now)
    lines = [
        "# " + _("Our agreements") + " · " + _one_line(group.name),
        "",
        _("As they stand on %(date)s.", date=format_day(now, "long")),
        "",
        f"<{external_url('agreements.index', handle=group.handle)}>",
        "",
        "## " + _("Current agreements"),
        "",
    ]
    if not state.active:
        lines += [_("No agreement yet. A proposal adopted by consent can create one."), ""]
    for s in state.active:
        version = s.version
        url = external_url("agreements.show", handle=group.handle, agreement_id=s.id)
        lines += [f"### {_one_line(s.title)} (v{version.version})", ""]
        decided = _("Adopted on %(date)s", date=format_day(version.adopted_at, "long"))
        result = result_text(version.result)
        lines.append(f"{decided}{' · ' + result if result else ''} · <{url}>")
        if s.review_on is not None:
            lines += ["", _("To review on %(date)s.", date=format_day(s.review_on, "long"))]
        lines += ["", _text(version.body), ""]
        rules = rule_lines(version.rules)
        if rules:
            lines += [_("The rules this version sets:"), ""]
            lines += [f"- {line.label}: {line.value}" for line in rules]
            lines.append("")
    lines += [
        "## " + _("Active rules"),
        "",
        _(
            "Each rule comes from the agreement adopted most recently that sets it; a "
            "rule no agreement sets keeps its default."
        ),
        "",
        "| " + " | ".join((_("Rule"), _("Value"), _("Where it comes from"))) + " |",
        "| --- | --- | --- |",
    ]
    for rule in state.rules.values():
        if rule.is_default:
            where = _("Not agreed yet (default)")
        else:
            src = rule.source
            where = f"{_one_line(src.title)}, v{src.version} · {format_day(src.adopted_at, 'long')}"
            for o in rule.overridden:
                where += " · " + _("Overrides") + f" {_one_line(o.title)}, v{o.version}: "
                where += _one_line(value_text(rule.key, o.value))
        lines.append(
            f"| {_one_line(_(rule.spec.label))} | {_one_line(value_text(rule.key, rule.value))} "
            f"| {where} |"
        )
    lines += ["", "## " + _("Repealed agreements"), ""]
    if not state.repealed:
        lines += [_("No repealed agreement."), ""]
    for s in state.repealed:
        lines.append(
            f"- {_one_line(s.title)} (v{s.version.version}): "
            + _("Repealed on %(date)s", date=format_day(s.repealed_at, "long"))
        )
    return "\n".join(lines).rstrip() + "\n"


# -- a thread --------------------------------------------------------------------------


def _name(user: User | None) -> str:
    return _one_line(user.name) if user is not None else _("someone")


def _comment(comment: Comment) -> str:
    when = format_moment(comment.created_at)
    if comment.is_deleted:
        deleted = _("Comment deleted")
        return f"**{_name(comment.author)}**, {when}\n\n_{deleted}_"
    edited = " (" + _("edited") + ")" if comment.edited_at else ""
    return f"**{_name(comment.author)}**, {when}{edited}\n\n{_text(comment.body)}"


def _poll(reading, viewer: User) -> list[str]:
    poll: Poll = reading.poll
    visible = reading.visible
    names = option_names(poll)
    status = (
        _("closed on %(date)s", date=format_moment(reading.closed_at))
        if reading.closed_at
        else _("open until %(date)s", date=format_moment(poll.closing_at))
    )
    lines = [
        "### " + _("Poll: %(title)s", title=_one_line(poll.title)),
        "",
        _(
            "By %(name)s, %(date)s · %(status)s",
            name=_name(poll.author),
            date=format_moment(poll.created_at),
            status=status,
        )
        + (" · " + _("anonymous poll") if poll.anonymous else ""),
        "",
    ]
    if poll.details:
        lines += [_text(poll.details), ""]
    lines += [f"- {_one_line(names.get(option.key, option.name))}" for option in poll.options]
    lines += [
        "",
        ngettext(
            "%(cast)s of %(num)s person has participated (%(percent)s)",
            "%(cast)s of %(num)s people have participated (%(percent)s)",
            visible.eligible,
            cast=visible.participants,
            percent=percent_text(visible.participation_percent),
        ),
        "",
    ]
    if visible.results is None:
        lines += ["_" + _("The results are hidden until the poll closes.") + "_", ""]
        if not poll.anonymous and poll.results_visibility == "after_vote":
            lines[-2] = "_" + _("The results are shown once you have voted.") + "_"
    else:
        lines += [
            "| " + " | ".join((_("Option"), _("Count"), _("Percent of points"))) + " |",
            "| --- | --- | --- |",
        ]
        for row in visible.results.rows:
            lines.append(
                f"| {_one_line(names.get(row.key, row.name))} | {row.count} "
                f"| {percent_text(row.percent)} |"
            )
        lines.append("")
        for stance in visible.stances or []:
            who = _name(stance.voter) if stance.voter is not None else _("Anonymous")
            choice = describe_choice(poll, stance.choice, names)
            reason = f": {_one_line(stance.reason)}" if stance.reason else ""
            lines.append(f"- {who} — {_one_line(choice)}{reason}")
        if visible.stances:
            lines.append("")
    outcome = poll_outcome(poll)
    if outcome is not None:
        lines += ["**" + _("Outcome") + "** · " + outcome["explanation"], ""]
    if poll.statement:
        lines += ["**" + _("Outcome statement") + "**", "", _text(poll.statement), ""]
        if poll.statement_review_on:
            lines += [
                _("To review on %(date)s.", date=format_day(poll.statement_review_on, "long")),
                "",
            ]
    return lines


def thread_markdown(thread: Thread, *, viewer: User, now: datetime) -> str:
    """The thread: title, context, then comments (replies under theirs) and polls in
    time order, as ``viewer`` may see them."""
    group = thread.group
    lines = [
        f"# {_one_line(thread.title)}",
        "",
        _(
            "%(group)s · started by %(name)s, %(date)s",
            group=_one_line(group.name),
            name=_name(thread.author),
            date=format_moment(thread.created_at),
        )
        + (" · " + _("closed") if thread.is_closed else ""),
        "",
        f"<{external_url('threads.show', thread_id=thread.id)}>",
        "",
        _text(thread.body),
        "",
    ]
    comments = thread_comments(thread)
    replies: dict[int, list[Comment]] = {}
    for comment in comments:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    entries: list[tuple[datetime, int, object]] = [
        (c.created_at, 1, c) for c in comments if c.parent_id is None
    ]
    polls = thread_poll_list(thread, now=now)
    entries += [(r.poll.created_at, 0, r) for r in read_polls(polls, viewer, now)]
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    if entries:
        lines += ["## " + _("Comments and polls"), ""]
    for _at, kind, item in entries:
        if kind == 0:
            lines += _poll(item, viewer)
            continue
        lines += [_comment(item), ""]
        for reply in replies.get(item.id, []):
            lines += [_quoted(_comment(reply)), ""]
    return "\n".join(lines).rstrip() + "\n"
