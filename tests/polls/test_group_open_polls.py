"""The group page shows what awaits a vote (open proposals and polls, soonest closing
first, with their closing times and whether the reader has voted), and the thread list
marks threads where a vote is open; in a fixed number of SQL statements."""

from __future__ import annotations

import re
from datetime import timedelta

EN = {"Accept-Language": "en"}


def _open_section(page: str) -> str:
    start = page.index('id="open-polls-heading"')
    return page[start : page.index("</section>", start)]


def test_open_proposals_and_polls_are_on_the_group_page(
    client, auth, thread_circle, new_poll, cast_choice
):
    later = new_poll(title="Adopter nos accords d'écoute", closing_in=timedelta(days=2))
    new_poll(kind="choice", title="Quel outil ?", closing_in=timedelta(hours=3))
    closed = new_poll(title="Déjà fermé", closing_in=timedelta(hours=1))
    from app.extensions import db
    from app.polls.models import Poll
    from app.timeutil import utcnow

    with client.application.app_context():
        db.session.get(Poll, closed.id).closed_at = utcnow()
        db.session.commit()
    bruno = thread_circle.members[0]
    cast_choice(later, bruno, {"key": "agree"})
    auth.login(bruno)
    page = client.get(f"/g/{thread_circle.group.handle}", headers=EN).text
    section = _open_section(page)
    titles = re.findall(r'#poll-\d+">([^<]+)</a>', section)
    assert titles == ["Quel outil ?", "Adopter nos accords d&#39;écoute"]
    assert "Déjà fermé" not in section
    assert section.count("awaiting your vote") == 1  # the choice poll; he voted on the other
    assert "you have voted" in section
    assert '<span class="badge">Proposal</span>' in section
    assert "closes on" in section
    # The section comes before the threads.
    assert page.index('id="open-polls-heading"') < page.index('id="threads-heading"')
    # The thread with open votes is marked in the list.
    threads = page[page.index('id="threads-heading"') :]
    assert '<span class="badge badge-vote">proposal open</span>' in threads


def test_nothing_open_says_so_and_marks_no_thread(client, auth, thread_circle):
    auth.login(thread_circle.admin)
    page = client.get(f"/g/{thread_circle.group.handle}", headers=EN).text
    assert "Nothing is open for a vote." in page
    assert "badge-vote" not in page


def test_the_group_page_with_open_polls_runs_a_fixed_number_of_statements(
    client, auth, thread_circle, new_poll, cast_choice, make_thread, count_queries
):
    group = thread_circle.group
    first = new_poll(title="Une")
    auth.login(thread_circle.admin)
    client.get(f"/g/{group.handle}")
    with count_queries() as small:
        assert client.get(f"/g/{group.handle}").status_code == 200
    for i in range(4):
        poll = new_poll(kind="choice", title=f"Sondage {i}")
        cast_choice(poll, thread_circle.members[i % 3], {"key": "o1"})
        make_thread(group, thread_circle.members[i % 3], title=f"Fil {i}")
    cast_choice(first, thread_circle.admin, {"key": "agree"})
    with count_queries() as large:
        page = client.get(f"/g/{group.handle}")
    assert page.status_code == 200 and "Sondage 3" in page.text
    assert large.count == small.count, large.statements
