"""One read path: the poll page, the poll's API JSON and the CSV export read a poll in
a fixed number of SQL statements, whatever the number of its stances."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("kind", ["proposal", "score"])
def test_a_poll_reads_in_a_fixed_number_of_statements(
    kind, client, auth, api, circle, new_poll, vote, count_queries
):
    quiet = new_poll(kind=kind)
    busy = new_poll(kind=kind)
    choice = {"key": "agree"} if kind == "proposal" else {"scores": {"o1": 5, "o2": 1, "o3": 0}}
    for person in circle.members:
        vote(busy, person, choice, "Une raison")
    auth.login(circle.admin)
    reader = api(circle.admin)
    reads = {
        "page": lambda poll: client.get(f"/p/{poll.id}"),
        "page export": lambda poll: client.get(f"/p/{poll.id}/export.csv"),
        "api": lambda poll: reader.get(f"/api/v1/polls/{poll.id}"),
        "api export": lambda poll: reader.get(f"/api/v1/polls/{poll.id}/export.csv"),
    }
    for name, read in reads.items():
        assert read(quiet).status_code == 200, name  # warm up
        counts = []
        for poll in (quiet, busy):
            with count_queries() as queries:
                assert read(poll).status_code == 200, name
            counts.append(queries.count)
        assert counts[0] == counts[1], (name, counts)
