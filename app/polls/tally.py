"""Counting a poll, and checking a stance: pure functions over plain values.

No Flask, no database, no clock. The services load the options and the
current stances of the eligible voters, turn them into ``Option`` and
``Vote`` values, and call these functions; templates, the API and the CSV
export read the dataclasses they return.

Percentages are ``decimal.Decimal`` rounded half up to one decimal
(5 of 18 → 27.8, 1 of 8 → 12.5), never float ``round`` (which rounds half to
even and suffers from binary fractions). The participation percentage is
truncated to a whole number (2 of 3 → 66): "18 of 18 people have
participated (100%)" only once everyone has.

Messages returned by the validators are ``Message`` strings: English text
(usable as is) that remembers its template and parameters, so that the
services can translate it (``N_`` marks the templates for extraction).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .. import limits
from ..collation import sort_key

KINDS = ("proposal", "choice", "score", "ranked", "dot", "meeting")
PROPOSAL_KEYS = ("agree", "abstain", "disagree", "block")
RESULTS_VISIBILITIES = ("always", "after_vote", "after_close")
REASON_RULES = ("optional", "required", "required_for_block", "disabled")
#: a meeting slot's answers: yes, if need be, no
MEETING_YES, MEETING_IF_NEED_BE, MEETING_NO = 2, 1, 0
MAX_REASON = limits.REASON
#: a required reason has more than this many characters
MIN_REQUIRED_REASON = 5

ONE_DECIMAL = Decimal("0.1")
ZERO = Decimal("0.0")


#: how much of an unknown option's key an error repeats (a key is ``o1``…; a
#: 200,000-character one is not echoed back whole)
SHOWN_KEY = 40


def _shown(key: str) -> str:
    return key if len(key) <= SHOWN_KEY else key[:SHOWN_KEY] + "…"


def N_(text: str) -> str:  # noqa: N802 - the usual name of the extraction marker
    """Mark a message for translation without translating it here."""
    return text


class Message(str):
    """An English message that remembers its template and parameters.

    ``str(m)`` is the English text; ``m.template % m.params`` rebuilt in
    another language is the services' business.
    """

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        obj = super().__new__(cls, template % params if params else template)
        obj.template = template
        obj.params = params
        return obj


# -- arithmetic --------------------------------------------------------------


def percent_half_up(part: int, whole: int) -> Decimal:
    """``part / whole × 100`` rounded half up to one decimal; 0.0 when ``whole`` is 0."""
    if not whole:
        return ZERO
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def average_half_up(total: int, count: int) -> Decimal | None:
    """``total / count`` rounded half up to one decimal; None when nobody counted."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def truncated_percent(part: int, whole: int) -> int:
    """``part / whole × 100`` truncated to a whole number (2 of 3 → 66); 0 when ``whole`` is 0."""
    if not whole:
        return 0
    return int((Decimal(part) * 100 / Decimal(whole)).to_integral_value(rounding=ROUND_DOWN))


# -- inputs and results --------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One option of a poll, in the poll's order."""

    key: str
    name: str


@dataclass(frozen=True)
class Vote:
    """One counted (current, eligible) stance. ``voter_name`` None when unknown (anonymous)."""

    choice: Mapping
    voter_id: int | None = None
    voter_name: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Participation:
    """The participation line: ``cast`` of ``eligible`` people have participated (``percent``)."""

    cast: int
    eligible: int

    @property
    def undecided(self) -> int:
        """Eligible members who have not taken a stance."""
        return max(self.eligible - self.cast, 0)

    @property
    def percent(self) -> int:
        """Cast / eligible, truncated to a whole percent."""
        return truncated_percent(self.cast, self.eligible)

    @property
    def undecided_percent(self) -> Decimal:
        """Undecided / eligible, half up to one decimal (the seed's "Undecided 0%")."""
        return percent_half_up(self.undecided, self.eligible)


@dataclass(frozen=True)
class OptionResult:
    """One row of a poll's results, in option order.

    ``count`` and ``percent`` exist for every kind, with the meaning of the kind:

    - proposal, choice: stances that chose the option; percent of stances cast
      (multiple choice: of stances cast that chose it, so the rows may sum past 100);
    - score: stances that scored it; ``total``, ``average``; percent = share of all points;
    - ranked: stances that ranked it; ``total`` = points; percent = share of all points;
    - dot: stances that gave it at least one dot; ``total`` = dots; percent = share of all dots;
    - meeting: ``yes`` answers; ``total`` = 2 × yes + 1 × if need be; percent = yes / cast.

    ``voters`` are the names behind ``count`` (empty for anonymous polls).
    ``rank`` (1 = first, ties share a rank) and ``best`` (the leading row or rows,
    when anything was cast) are set for score, ranked, dot and meeting.
    """

    key: str
    name: str
    count: int
    percent: Decimal
    voters: tuple[str, ...] = ()
    total: int | None = None
    average: Decimal | None = None
    yes: int | None = None
    if_need_be: int | None = None
    no: int | None = None
    rank: int | None = None
    best: bool = False


@dataclass(frozen=True)
class PollResults:
    kind: str
    rows: tuple[OptionResult, ...]
    participation: Participation
    anonymous: bool = False

    @property
    def best_keys(self) -> tuple[str, ...]:
        """The leading option(s) of a score, ranked, dot or meeting poll (ties: all of them)."""
        return tuple(row.key for row in self.rows if row.best)

    def by_total(self) -> list[OptionResult]:
        """Rows by ``total`` (or ``count``), highest first; ties keep the option order."""
        return sorted(
            self.rows, key=lambda row: -(row.total if row.total is not None else row.count)
        )


# -- tallying ------------------------------------------------------------------


def _names(votes: Iterable[Vote], anonymous: bool) -> tuple[str, ...]:
    if anonymous:
        return ()
    return tuple(sorted((v.voter_name or "" for v in votes), key=sort_key))


def _chosen_keys(choice: Mapping) -> list[str]:
    if "keys" in choice:
        return list(choice["keys"])
    if "key" in choice:
        return [choice["key"]]
    return []


def _competition_ranks(totals: Sequence[int]) -> list[int]:
    """1 + how many totals are strictly higher: ties share a rank (1, 1, 3)."""
    return [1 + sum(1 for other in totals if other > mine) for mine in totals]


def _with_ranks(rows: list[OptionResult]) -> list[OptionResult]:
    totals = [row.total or 0 for row in rows]
    ranks = _competition_ranks(totals)
    top = max(totals, default=0)
    return [
        replace(row, rank=rank, best=top > 0 and (row.total or 0) == top)
        for row, rank in zip(rows, ranks, strict=True)
    ]


def count_choices(
    options: Sequence[Option], votes: Sequence[Vote], *, anonymous: bool = False
) -> list[OptionResult]:
    """Proposal and choice polls: per option, how many stances chose it and
    the percent of stances cast (abstentions are cast stances). With a multiple
    choice, a stance counts once for each option it chose, and each percent is
    of the stances cast, so the percents may add up to more than 100."""
    cast = len(votes)
    rows = []
    for option in options:
        chose = [v for v in votes if option.key in _chosen_keys(v.choice)]
        rows.append(
            OptionResult(
                key=option.key,
                name=option.name,
                count=len(chose),
                percent=percent_half_up(len(chose), cast),
                voters=_names(chose, anonymous),
            )
        )
    return rows


def score_totals(
    options: Sequence[Option], votes: Sequence[Vote], *, anonymous: bool = False
) -> list[OptionResult]:
    """Score polls: per option the total, the average (half up, one decimal) and
    how many scored it; percent is the option's share of all points given."""
    totals = {o.key: 0 for o in options}
    counts = {o.key: 0 for o in options}
    scorers: dict[str, list[Vote]] = {o.key: [] for o in options}
    for vote in votes:
        for key, value in (vote.choice.get("scores") or {}).items():
            if key in totals:
                totals[key] += int(value)
                counts[key] += 1
                scorers[key].append(vote)
    all_points = sum(totals.values())
    rows = [
        OptionResult(
            key=o.key,
            name=o.name,
            count=counts[o.key],
            percent=percent_half_up(totals[o.key], all_points),
            voters=_names(scorers[o.key], anonymous),
            total=totals[o.key],
            average=average_half_up(totals[o.key], counts[o.key]),
        )
        for o in options
    ]
    return _with_ranks(rows)


def ranked_points(
    options: Sequence[Option], votes: Sequence[Vote], *, anonymous: bool = False
) -> list[OptionResult]:
    """Ranked polls: with N options, rank r (1 = best) earns N − r + 1 points.
    Per option the points, the share of all points, and a rank where ties share
    a place (1, 1, 3)."""
    n = len(options)
    points = {o.key: 0 for o in options}
    rankers: dict[str, list[Vote]] = {o.key: [] for o in options}
    for vote in votes:
        for position, key in enumerate(vote.choice.get("ranking") or [], start=1):
            if key in points:
                points[key] += n - position + 1
                rankers[key].append(vote)
    all_points = sum(points.values())
    rows = [
        OptionResult(
            key=o.key,
            name=o.name,
            count=len(rankers[o.key]),
            percent=percent_half_up(points[o.key], all_points),
            voters=_names(rankers[o.key], anonymous),
            total=points[o.key],
        )
        for o in options
    ]
    return _with_ranks(rows)


def dot_totals(
    options: Sequence[Option], votes: Sequence[Vote], *, anonymous: bool = False
) -> list[OptionResult]:
    """Dot polls: per option the dots it received and its share of all dots
    (``count``: the stances that gave it at least one)."""
    dots = {o.key: 0 for o in options}
    givers: dict[str, list[Vote]] = {o.key: [] for o in options}
    for vote in votes:
        for key, value in (vote.choice.get("scores") or {}).items():
            if key in dots and int(value) > 0:
                dots[key] += int(value)
                givers[key].append(vote)
    all_dots = sum(dots.values())
    rows = [
        OptionResult(
            key=o.key,
            name=o.name,
            count=len(givers[o.key]),
            percent=percent_half_up(dots[o.key], all_dots),
            voters=_names(givers[o.key], anonymous),
            total=dots[o.key],
        )
        for o in options
    ]
    return _with_ranks(rows)


def meeting_answers(
    options: Sequence[Option], votes: Sequence[Vote], *, anonymous: bool = False
) -> list[OptionResult]:
    """Meeting polls: per slot the yes / if need be / no answers and a score
    (2 × yes + 1 × if need be). The best slots are those with the highest score
    (all of them on a tie); none while no one can come. A slot a stance leaves
    out counts as "no"."""
    cast = len(votes)
    rows = []
    for o in options:
        answers = [int((v.choice.get("scores") or {}).get(o.key, MEETING_NO)) for v in votes]
        yes = [v for v, a in zip(votes, answers, strict=True) if a == MEETING_YES]
        maybe = answers.count(MEETING_IF_NEED_BE)
        rows.append(
            OptionResult(
                key=o.key,
                name=o.name,
                count=len(yes),
                percent=percent_half_up(len(yes), cast),
                voters=_names(yes, anonymous),
                total=MEETING_YES * len(yes) + MEETING_IF_NEED_BE * maybe,
                yes=len(yes),
                if_need_be=maybe,
                no=cast - len(yes) - maybe,
            )
        )
    return _with_ranks(rows)


_TALLIES = {
    "proposal": count_choices,
    "choice": count_choices,
    "score": score_totals,
    "ranked": ranked_points,
    "dot": dot_totals,
    "meeting": meeting_answers,
}


def tally(
    kind: str,
    options: Sequence[Option],
    votes: Sequence[Vote],
    *,
    eligible: int,
    anonymous: bool = False,
) -> PollResults:
    """The results of a poll of ``kind`` from its counted ``votes`` (current
    stances of eligible voters) and the number of ``eligible`` voters."""
    rows = _TALLIES[kind](options, votes, anonymous=anonymous)
    return PollResults(
        kind=kind,
        rows=tuple(rows),
        participation=Participation(cast=len(votes), eligible=eligible),
        anonymous=anonymous,
    )


# -- frozen results (anonymous polls keep counts only) ---------------------------


def results_to_json(results: PollResults) -> dict:
    """Counts only (no voters), JSON-ready: what an anonymous poll keeps at close."""
    rows = []
    for row in results.rows:
        data = asdict(row)
        data["voters"] = []
        for name in ("percent", "average"):
            if data[name] is not None:
                data[name] = str(data[name])
        rows.append(data)
    return {
        "kind": results.kind,
        "rows": rows,
        "cast": results.participation.cast,
        "eligible": results.participation.eligible,
    }


def results_from_json(data: Mapping) -> PollResults:
    """The inverse of ``results_to_json``."""
    rows = []
    for raw in data["rows"]:
        values = dict(raw)
        values["voters"] = ()
        for name in ("percent", "average"):
            if values.get(name) is not None:
                values[name] = Decimal(values[name])
        rows.append(OptionResult(**values))
    return PollResults(
        kind=data["kind"],
        rows=tuple(rows),
        participation=Participation(cast=data["cast"], eligible=data["eligible"]),
        anonymous=True,
    )


# -- checking a stance -----------------------------------------------------------


@dataclass(frozen=True)
class ChoiceSettings:
    """What a stance is checked against (a poll's settings, as plain values)."""

    min_choices: int = 1
    max_choices: int = 1
    min_score: int = 0
    max_score: int = 5
    dots: int = 8
    reasons: str = "optional"


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_key(value, option_keys: Sequence[str], name: str, errors: dict) -> None:
    if value is None or value == "":
        errors[name] = Message(N_("Choose an option."))
    elif not isinstance(value, str) or value not in option_keys:
        errors[name] = Message(N_("Unknown option: %(key)s."), key=_shown(str(value)))


def _check_keys(value, option_keys: Sequence[str], settings: ChoiceSettings, errors: dict) -> None:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        errors["keys"] = Message(N_("Give a list of options."))
        return
    unknown = [k for k in value if k not in option_keys]
    if unknown:
        errors["keys"] = Message(N_("Unknown option: %(key)s."), key=_shown(unknown[0]))
    elif len(set(value)) != len(value):
        errors["keys"] = Message(N_("Choose each option at most once."))
    elif len(value) < settings.min_choices:
        errors["keys"] = Message(N_("Choose at least %(min)s options."), min=settings.min_choices)
    elif len(value) > settings.max_choices:
        errors["keys"] = Message(N_("Choose at most %(max)s options."), max=settings.max_choices)


def _check_scores(value, option_keys: Sequence[str], errors: dict) -> dict | None:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        errors["scores"] = Message(N_("Give a score for each option."))
        return None
    for key, score in value.items():
        if key not in option_keys:
            errors[f"scores.{key}"] = Message(N_("Unknown option: %(key)s."), key=_shown(key))
        elif not _is_int(score):
            errors[f"scores.{key}"] = Message(N_("Must be a whole number."))
    return dict(value)


def validate_choice(
    kind: str, settings: ChoiceSettings, option_keys: Sequence[str], choice: Mapping | None
) -> dict[str, Message]:
    """What is wrong with ``choice`` for a poll of ``kind``, by field (empty: nothing).

    The fields are those of the API's stance: ``key``, ``keys``, ``scores``
    (``scores.<key>`` for one option), ``ranking``.

    - proposal, single choice: ``{"key": k}`` (a single choice also takes
      ``{"keys": [k]}``); multiple choice (``max_choices`` > 1): ``{"keys": [...]}``
      with ``min_choices``..``max_choices`` distinct keys (``{"key": k}`` also counts);
    - score: ``{"scores": {key: n}}`` with every option scored ``min_score``..``max_score``;
    - dot: ``{"scores": {key: n}}``, n ≥ 0, at least one dot and at most ``dots`` in all;
    - meeting: ``{"scores": {key: 2|1|0}}`` (yes, if need be, no); a slot left out is "no";
    - ranked: ``{"ranking": [keys, best first]}``: a FULL ranking, every option
      exactly once (partial rankings are refused, so every stance gives every
      option its N − r + 1 points and totals compare fairly).
    """
    errors: dict[str, Message] = {}
    if not isinstance(choice, Mapping):
        choice = {}
    keys = list(option_keys)
    if kind == "proposal" or (kind == "choice" and settings.max_choices <= 1):
        if "key" not in choice and isinstance(choice.get("keys"), list):
            if len(choice["keys"]) != 1:
                errors["keys"] = Message(N_("Choose one option."))
                return errors
            _check_key(choice["keys"][0], keys, "keys", errors)
        else:
            _check_key(choice.get("key"), keys, "key", errors)
    elif kind == "choice":
        if "keys" not in choice and "key" in choice:
            _check_keys([choice["key"]], keys, settings, errors)
        elif "keys" not in choice:
            errors["keys"] = Message(
                N_("Choose at least %(min)s options."), min=max(settings.min_choices, 1)
            )
        else:
            _check_keys(choice["keys"], keys, settings, errors)
    elif kind in ("score", "dot", "meeting"):
        scores = _check_scores(choice.get("scores"), keys, errors)
        if scores is None or errors:
            return errors
        if kind == "score":
            for key in keys:
                if key not in scores:
                    errors[f"scores.{key}"] = Message(N_("Give this option a score."))
                elif not settings.min_score <= scores[key] <= settings.max_score:
                    errors[f"scores.{key}"] = Message(
                        N_("Must be between %(min)s and %(max)s."),
                        min=settings.min_score,
                        max=settings.max_score,
                    )
        elif kind == "dot":
            for key, value in scores.items():
                if value < 0:
                    errors[f"scores.{key}"] = Message(N_("Must not be negative."))
            if not errors:
                spent = sum(scores.values())
                if spent > settings.dots:
                    errors["scores"] = Message(
                        N_("You have %(dots)s dots in all: you placed %(spent)s."),
                        dots=settings.dots,
                        spent=spent,
                    )
                elif spent == 0:
                    errors["scores"] = Message(N_("Place at least one dot."))
        else:
            for key, value in scores.items():
                if value not in (MEETING_YES, MEETING_IF_NEED_BE, MEETING_NO):
                    errors[f"scores.{key}"] = Message(
                        N_("Answer 2 (yes), 1 (if need be) or 0 (no).")
                    )
    elif kind == "ranked":
        ranking = choice.get("ranking")
        if not isinstance(ranking, list) or not all(isinstance(k, str) for k in ranking):
            errors["ranking"] = Message(N_("Rank every option, best first."))
        else:
            unknown = [k for k in ranking if k not in keys]
            if unknown:
                errors["ranking"] = Message(N_("Unknown option: %(key)s."), key=_shown(unknown[0]))
            elif len(set(ranking)) != len(ranking):
                errors["ranking"] = Message(N_("Rank each option once."))
            elif len(ranking) != len(keys):
                errors["ranking"] = Message(N_("Rank every option, best first."))
    else:
        errors["kind"] = Message(N_("Unknown kind of poll: %(kind)s."), kind=str(kind))
    return errors


def clean_choice(
    kind: str, settings: ChoiceSettings, option_keys: Sequence[str], choice: Mapping
) -> dict:
    """The stored form of a choice that ``validate_choice`` accepted: ``{"key"}``,
    ``{"keys"}`` in option order, ``{"scores"}`` (meeting: every slot; dot: no
    zeros) or ``{"ranking"}``."""
    keys = list(option_keys)
    if kind == "proposal" or (kind == "choice" and settings.max_choices <= 1):
        key = choice["key"] if "key" in choice else choice["keys"][0]
        return {"key": key}
    if kind == "choice":
        chosen = set(choice["keys"]) if "keys" in choice else {choice["key"]}
        return {"keys": [k for k in keys if k in chosen]}
    if kind == "score":
        return {"scores": {k: int(choice["scores"][k]) for k in keys}}
    if kind == "dot":
        given = choice["scores"]
        return {"scores": {k: int(given[k]) for k in keys if int(given.get(k, 0)) > 0}}
    if kind == "meeting":
        given = choice["scores"]
        return {"scores": {k: int(given.get(k, MEETING_NO)) for k in keys}}
    if kind == "ranked":
        return {"ranking": list(choice["ranking"])}
    raise ValueError(f"unknown kind {kind!r}")


def validate_reason(reasons: str, reason: str | None, choice: Mapping) -> dict[str, Message]:
    """What is wrong with a stance's reason under the poll's ``reasons`` rule.

    ``required``: more than 5 characters; ``required_for_block``: the same, only
    for the ``block`` option; ``disabled``: no reason at all; always at most
    500 characters.
    """
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        return {"reason": Message(N_("At most %(max)s characters."), max=MAX_REASON)}
    if reasons == "disabled" and text:
        return {"reason": Message(N_("This poll takes no reasons."))}
    needs_reason = reasons == "required" or (
        reasons == "required_for_block" and "block" in _chosen_keys(choice)
    )
    if needs_reason and len(text) <= MIN_REQUIRED_REASON:
        if reasons == "required_for_block":
            return {
                "reason": Message(
                    N_("A block needs a reason of more than %(min)s characters."),
                    min=MIN_REQUIRED_REASON,
                )
            }
        return {
            "reason": Message(
                N_("Give a reason of more than %(min)s characters."), min=MIN_REQUIRED_REASON
            )
        }
    return {}


def choice_fingerprint(choice: Mapping) -> str:
    """A stable text for a choice (sorting anonymous stances without revealing their order)."""
    return json.dumps(choice, sort_keys=True)
