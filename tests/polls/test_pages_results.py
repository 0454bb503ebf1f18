"""Results on the pages: the seed's table, the participation line, the SVG chart,
hidden results that leak nowhere, anonymity, and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from babel.numbers import format_decimal
from fixtures.poll_pages import main_of, text_of

from app.auth.models import User
from app.extensions import db
from app.timeutil import utcnow


def _seed_poll(run, seed_circle, **settings):
    """The seed's poll, open, with its 18 stances."""
    from app.polls.services import cast_stance, create_poll
    from app.threads.models import Thread

    now = utcnow()

    def create():
        poll = create_poll(
            db.session.get(Thread, seed_circle.thread.id),
            author=db.session.get(User, seed_circle.admin.id),
            kind="proposal",
            title="Qui serait pour constituer un groupe Zoom ?",
            closing_at=now + timedelta(days=3),
            now=now - timedelta(minutes=30),
            **settings,
        )
        for i, (person, key) in enumerate(zip(seed_circle.people, seed_circle.keys, strict=True)):
            reason = "Je préfère les rencontres en chair et en os." if key == "block" else ""
            cast_stance(
                poll,
                db.session.get(User, person.id),
                choice={"key": key},
                reason=reason,
                now=now - timedelta(minutes=20 - i),
            )
        return SimpleNamespace(id=poll.id)

    return run(create)


def _rows(html: str) -> list[list[str]]:
    """The results table's rows as visible text cells."""
    table = html.split('class="poll-results"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([text_of(c).strip() for c in cells])
    return rows


def test_the_seeds_table_in_english(run, seed_circle, auth, page):
    poll = _seed_poll(run, seed_circle)
    auth.login(seed_circle.admin)
    status, html = page(f"/p/{poll.id}")
    assert status == 200
    rows = _rows(html)
    assert [r[:2] for r in rows[:4]] == [
        ["Agree", "27.8%"],
        ["Abstain", "44.4%"],
        ["Disagree", "16.7%"],
        ["Block", "11.1%"],
    ]
    # The undecided have no share of the voters: one base per column.
    assert rows[4][0] == "Undecided" and "%" not in rows[4][1]
    assert [r[2].split(" ")[0] for r in rows] == ["5", "8", "3", "2", "0"]
    assert "Membre 01" in rows[0][2]  # voters' names: the poll is not anonymous
    header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert [text_of(h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", header)] == [
        "Option",
        "% of voters",
        "Voters",
    ]
    assert "Stances by option" in html  # the table's caption is not a second «Results»
    assert "18 of 18 people have participated (100%)" in text_of(html)


def test_the_seeds_table_in_french(run, seed_circle, auth, page):
    poll = _seed_poll(run, seed_circle)
    auth.login(seed_circle.admin)
    status, html = page(f"/p/{poll.id}", lang="fr")
    assert status == 200 and '<html lang="fr"' in html
    cells = [r[1] for r in _rows(html)]
    for value in ("27.8", "44.4", "16.7", "11.1"):
        french = format_decimal(Decimal(value), locale="fr")
        assert french in " ".join(cells)
    assert "27,8" in cells[0] and "27.8" not in html
    assert "(100" in text_of(html)


def test_undecided_members_are_named(run, thread_circle, new_poll, cast_choice, auth, page):
    poll = new_poll()
    cast_choice(poll, thread_circle.members[0], {"key": "agree"})
    cast_choice(poll, thread_circle.members[1], {"key": "abstain"})
    auth.login(thread_circle.admin)
    html = page(f"/p/{poll.id}")[1]
    rows = _rows(html)
    assert rows[-1][0] == "Undecided" and "%" not in rows[-1][1]
    assert rows[-1][2].startswith("2") and "Alice" in rows[-1][2] and "David" in rows[-1][2]
    assert "2 of 4 people have participated (50%)" in text_of(html)


def test_the_chart_is_inline_svg_without_inline_styles(run, seed_circle, auth, page):
    poll = _seed_poll(run, seed_circle)
    auth.login(seed_circle.admin)
    for url in (f"/p/{poll.id}", f"/t/{seed_circle.thread.id}"):
        html = page(url)[1]
        svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
        assert 'role="img"' in svg
        label = svg.split('aria-label="', 1)[1].split('"', 1)[0]
        assert "Agree: 27.8%" in label and "Block: 11.1%" in label
        assert "style=" not in html and "<style" not in html
        assert "<script>" not in html
        widths = re.findall(r'class="bar bar-(\w+)[^"]*"', svg)
        assert widths == ["agree", "abstain", "disagree", "block"]
    assert "polls.css" in html


def test_results_after_close_leak_nowhere(
    run, thread_circle, new_poll, cast_choice, auth, page, client
):
    poll = new_poll(results_visibility="after_close", title="Vote secret jusqu'au bout")
    bruno, chloe = thread_circle.members[:2]
    cast_choice(poll, bruno, {"key": "block"}, "Une objection de fond.")
    cast_choice(poll, chloe, {"key": "agree"}, "Très bien pour moi.")
    auth.login(thread_circle.members[2])
    for url in (f"/p/{poll.id}", f"/t/{thread_circle.thread.id}"):
        status, html = page(url)
        assert status == 200
        main = main_of(html)
        text = text_of(main)
        assert "The results will show when the poll closes" in text
        assert "<svg" not in main and 'class="poll-results"' not in main
        assert "Une objection de fond." not in main and "Très bien pour moi." not in main
        assert "%" not in text.replace("2 of 4 people have participated (50%)", "")
        assert "Chloé" not in main and "Bruno" not in main  # no voters, no undecided names
        assert "2 of 4 people have participated (50%)" in text
    # My own stance stays mine to see, and only mine.
    auth.login(bruno)
    main = main_of(page(f"/p/{poll.id}")[1])
    assert "Your stance:" in text_of(main) and "Une objection de fond." in main
    assert "Très bien pour moi." not in main and "<svg" not in main
    assert client.get(f"/p/{poll.id}/export.csv").status_code == 403  # admins and author only
    auth.login(thread_circle.admin)
    response = client.get(f"/p/{poll.id}/export.csv")
    assert response.status_code == 409  # nothing is exported while the results are hidden
    csv_text = response.get_data(as_text=True)
    assert "Chloé" not in csv_text and "Très bien" not in csv_text and "Block" not in csv_text


def test_results_after_vote_show_once_one_voted(
    run, thread_circle, new_poll, cast_choice, auth, page, client
):
    poll = new_poll(results_visibility="after_vote")
    cast_choice(poll, thread_circle.members[0], {"key": "agree"}, "Oui.")
    auth.login(thread_circle.members[1])
    main = main_of(page(f"/p/{poll.id}")[1])
    assert "<svg" not in main and "The results will show once you have voted" in text_of(main)
    client.post(f"/p/{poll.id}/stance", data={"key": "abstain"})
    main = main_of(page(f"/p/{poll.id}")[1])
    assert "<svg" in main and 'class="poll-results"' in main


def test_hidden_results_show_after_closing(run, thread_circle, past_poll, auth, page):
    bruno = thread_circle.members[0]
    poll = past_poll(results_visibility="after_close", stances=[(bruno, {"key": "agree"}, "Oui")])
    auth.login(thread_circle.members[1])
    html = page(f"/p/{poll.id}")[1]
    assert 'class="poll-results"' in html and "Bruno" in _rows(html)[0][2]


def test_anonymous_polls_never_show_names(
    run, thread_circle, new_poll, past_poll, cast_choice, auth, page, client
):
    bruno, chloe = thread_circle.members[:2]
    poll = new_poll(anonymous=True, title="Anonyme")
    cast_choice(poll, bruno, {"key": "agree"}, "Première raison")
    cast_choice(poll, chloe, {"key": "disagree"}, "Seconde raison")
    closed = past_poll(
        anonymous=True,
        stances=[(bruno, {"key": "agree"}, "Avant"), (chloe, {"key": "block"}, "Objection ferme")],
        finalise=True,
    )
    auth.login(thread_circle.admin)
    html = page(f"/p/{poll.id}")[1]  # open: no result, no stance, no name
    results = html.split('class="poll-results-section"', 1)[1]
    assert "Bruno" not in results and "Chloé" not in results
    assert "This poll is anonymous: its results will show when it closes" in results
    assert "Première raison" not in results and 'class="poll-results"' not in results
    assert client.get(f"/p/{poll.id}/export.csv").status_code == 409
    html = page(f"/p/{closed.id}")[1]
    results = html.split('class="poll-results-section"', 1)[1]
    assert "Bruno" not in results and "Chloé" not in results
    assert "Anonymous" in results and "Objection ferme" in results
    assert "My stance history" not in html
    exported = client.get(f"/p/{closed.id}/export.csv").get_data(as_text=True)
    assert "Bruno" not in exported and "Chloé" not in exported
    rows = _rows(page(f"/p/{closed.id}")[1])
    assert rows[0][:2] == ["Agree", "50%"] and rows[3][:2] == ["Block", "50%"]
    thread = main_of(page(f"/t/{thread_circle.thread.id}")[1])
    for part in thread.split('class="poll-card')[1:]:
        results = part.split('class="poll-results-section"', 1)[1].split("</section>", 1)[0]
        assert "Bruno" not in results and "Chloé" not in results


def test_other_kinds_show_their_results(run, thread_circle, new_poll, cast_choice, auth, page):
    bruno, chloe = thread_circle.members[:2]
    score = new_poll(kind="score")
    cast_choice(score, bruno, {"scores": {"o1": 5, "o2": 2, "o3": 0}})
    cast_choice(score, chloe, {"scores": {"o1": 2, "o2": 2, "o3": 1}})
    ranked = new_poll(kind="ranked")
    cast_choice(ranked, bruno, {"ranking": ["o2", "o1", "o3"]})
    cast_choice(ranked, chloe, {"ranking": ["o2", "o3", "o1"]})
    dot = new_poll(kind="dot")
    cast_choice(dot, bruno, {"scores": {"o1": 6, "o3": 2}})
    meeting = new_poll(kind="meeting", options=["2030-05-12T18:30:00Z", "2030-05-13T18:30:00Z"])
    cast_choice(meeting, bruno, {"scores": {"o1": 1, "o2": 2}})
    cast_choice(meeting, chloe, {"scores": {"o1": 2, "o2": 2}})
    auth.login(thread_circle.admin)
    assert _rows(page(f"/p/{score.id}")[1])[0] == ["Zoom", "7", "3.5", "2"]
    html = page(f"/p/{ranked.id}")[1]
    assert _rows(html) == [["Zoom", "3", "2"], ["Jitsi", "6", "1"], ["In person", "3", "2"]]
    assert "In the lead: Jitsi" in text_of(html)
    assert _rows(page(f"/p/{dot.id}")[1])[0] == ["Zoom", "6", "75%"]
    html = page(f"/p/{meeting.id}")[1]
    assert "Best time slot: Monday 13 May 2030, 20:30" in text_of(html)
    assert _rows(html)[1][1:] == ["2 Bruno, Chloé", "0", "0", "4"]


def test_csv_export(run, thread_circle, new_poll, cast_choice, auth, client):
    poll = new_poll(title="=Danger")
    cast_choice(poll, thread_circle.members[0], {"key": "agree"}, "Parce que")
    cast_choice(poll, thread_circle.members[1], {"key": "block"}, "Objection ferme")
    auth.login(thread_circle.members[2])  # a member reads the results on the page
    assert client.get(f"/p/{poll.id}/export.csv").status_code == 403
    assert "Export as CSV" not in client.get(f"/p/{poll.id}").get_data(as_text=True)
    auth.login(thread_circle.admin)
    response = client.get(
        f"/p/{poll.id}/export.csv",
        headers={"Accept-Language": "en"},
        query_string={"format": "data"},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["Poll", "Kind", "Status"]
    assert rows[1][:3] == ["'=Danger", "proposal", "open"]  # never a formula in a spreadsheet
    assert ["agree", "Agree", "1", "50.0", "Bruno"] in [r[:5] for r in rows]
    assert any(r[1:4] == ["Chloé", "Block", "Objection ferme"] for r in rows)
    auth.logout()
    assert client.get(f"/p/{poll.id}/export.csv").status_code == 302


def test_the_csv_opens_in_a_french_spreadsheet(
    run, thread_circle, new_poll, cast_choice, auth, client
):
    """French Excel: UTF-8 with a byte-order mark, «;» between cells, a decimal comma,
    times in the reader's zone, a file named after the poll."""
    poll = new_poll(title="Nos accords d'écoute : v2")
    cast_choice(poll, thread_circle.members[0], {"key": "agree"}, "Parce que")
    cast_choice(poll, thread_circle.members[1], {"key": "block"}, "Objection ferme")
    cast_choice(poll, thread_circle.members[2], {"key": "agree"})
    auth.login(thread_circle.admin)  # Europe/Paris
    response = client.get(f"/p/{poll.id}/export.csv", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # without it Excel reads «Chloé» as «ChloÃ©»
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(rows[0]) == 5 and rows[4][0] == "agree" and rows[4][2] == "2"
    assert rows[4][3] == "66,7" and rows[7][3] == "33,3"  # a decimal comma, not 66.7
    closing = rows[1][3]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", closing)  # no "T", no "Z"
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''Nos%20accords%20d%27%C3%A9coute%20v2.csv" in disposition
    assert 'filename="Nos accords d ecoute v2.csv"' in disposition
    english = client.get(f"/p/{poll.id}/export.csv", headers={"Accept-Language": "en"})
    rows = list(csv.reader(io.StringIO(english.get_data().decode("utf-8-sig"))))
    assert rows[4][3] == "66.7"  # a comma-separated file for English readers
    refused = client.get(f"/p/{poll.id}/export.csv", query_string={"format": "xls"})
    assert refused.status_code == 400
