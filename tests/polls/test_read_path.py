"""One read path: the poll page, the poll's API JSON and the CSV export read a poll in
a fixed number of SQL statements, whatever the number of its stances; the page and
the API export one and the same file."""

from __future__ import annotations

import csv
import io

import pytest


@pytest.mark.parametrize("kind", ["proposal", "score"])
def test_a_poll_reads_in_a_fixed_number_of_statements(
    kind, client, auth, api, thread_circle, new_poll, cast_choice, count_queries
):
    quiet = new_poll(kind=kind)
    busy = new_poll(kind=kind)
    choice = {"key": "agree"} if kind == "proposal" else {"scores": {"o1": 5, "o2": 1, "o3": 0}}
    for person in thread_circle.members:
        cast_choice(busy, person, choice, "Une raison")
    auth.login(thread_circle.admin)
    reader = api(thread_circle.admin)
    fragments = client.application.extensions["fragments"]

    def page_rendered_again(poll):
        fragments.clear()  # the card is rendered again, as after a write
        return client.get(f"/p/{poll.id}")

    reads = {
        "page": lambda poll: client.get(f"/p/{poll.id}"),
        "page rendered again": page_rendered_again,
        "page export": lambda poll: client.get(f"/p/{poll.id}/export.csv"),
        "api": lambda poll: reader.get(f"/api/v1/polls/{poll.id}"),
        "api export": lambda poll: reader.get(f"/api/v1/polls/{poll.id}/export.csv"),
    }
    for name, read in reads.items():
        assert read(quiet).status_code == 200, name  # warm up
        assert read(busy).status_code == 200, name
        counts = []
        for poll in (quiet, busy):
            with count_queries() as queries:
                assert read(poll).status_code == 200, name
            counts.append(queries.count)
        assert counts[0] == counts[1], (name, counts)


def test_the_page_and_the_api_export_the_same_file(
    client, auth, api, thread_circle, new_poll, cast_choice
):
    meeting = new_poll(kind="meeting", options=["2030-05-12T18:30:00Z", "2030-05-13T07:00:00Z"])
    cast_choice(meeting, thread_circle.members[0], {"scores": {"o1": 2, "o2": 1}}, "=SOMME(A1)")
    proposal = new_poll(title="@Zoom ?")
    cast_choice(proposal, thread_circle.members[1], {"key": "block"}, "Non, pas ça")
    hidden = new_poll(results_visibility="after_close")
    auth.login(thread_circle.admin)
    reader = api(thread_circle.admin)
    for lang in ("en", "fr"):
        headers = {"Accept-Language": lang}
        for poll, fmt in ((meeting, "data"), (proposal, "data"), (proposal, "spreadsheet")):
            asked = {"format": fmt}
            page = client.get(f"/p/{poll.id}/export.csv", headers=headers, query_string=asked)
            by_api = reader.get(
                f"/api/v1/polls/{poll.id}/export.csv", headers=headers, query_string=asked
            )
            assert page.status_code == by_api.status_code == 200
            assert page.mimetype == by_api.mimetype == "text/csv"
            assert page.headers["Content-Disposition"] == by_api.headers["Content-Disposition"]
            assert page.get_data(as_text=True) == by_api.get_data(as_text=True)
        page = client.get(f"/p/{hidden.id}/export.csv", headers=headers)
        by_api = reader.get(f"/api/v1/polls/{hidden.id}/export.csv", headers=headers)
        assert page.status_code == by_api.status_code == 409
        assert by_api.get_json()["error"]["code"] == "results_hidden"


def test_the_export_names_options_and_headers_in_the_readers_language(
    client, auth, thread_circle, new_poll, cast_choice
):
    meeting = new_poll(kind="meeting", options=["2030-05-12T18:30:00Z", "2030-05-13T07:00:00Z"])
    cast_choice(meeting, thread_circle.members[0], {"scores": {"o1": 2, "o2": 1}}, "=SOMME(A1)")
    proposal = new_poll()
    cast_choice(proposal, thread_circle.members[1], {"key": "block"}, "Non, pas ça")
    auth.login(thread_circle.admin)  # the reader's time zone: Europe/Paris

    def rows(poll, lang):
        response = client.get(
            f"/p/{poll.id}/export.csv",
            headers={"Accept-Language": lang},
            query_string={"format": "data"},
        )
        return list(csv.reader(io.StringIO(response.get_data(as_text=True))))

    french = rows(proposal, "fr")
    assert french[3][:4] == ["Clé", "Option", "Nombre", "Pourcentage des points"]
    assert [r[1] for r in french[4:8]] == ["D'accord", "Abstention", "Pas d'accord", "Blocage"]
    assert french[-1][1:4] == ["Chloé", "Blocage", "Non, pas ça"]
    english = rows(meeting, "en")
    assert english[3][4:] == ["Total", "Rank", "Yes", "If need be", "No", "Voters"]
    assert english[4][:2] == ["o1", "Sunday 12 May 2030, 20:30"]
    assert english[-1][1:4] == [
        "Bruno", "Sunday 12 May 2030, 20:30: Yes · Monday 13 May 2030, 09:00: If need be",
        "'=SOMME(A1)",
    ]  # fmt: skip
