"""The agreement page shows what changed as people read it: words, not Markdown
source lines; insertions and deletions said in words to screen readers; escaped."""

from __future__ import annotations

import pytest
from fixtures.agreement_pages import EN

pytestmark = pytest.mark.usefixtures("ten_days_ago")


def test_the_diff_is_word_by_word_on_the_rendered_text(client, auth, thread_circle, adopted, amend):
    agreement_id, _ = adopted()
    amend(
        agreement_id,
        1,
        body=(
            "Pas de **réciprocité** obligatoire <script>x</script>.\n\nOn vérifie la disponibilité."
        ),
    )
    auth.login(thread_circle.members[0])
    html = client.get(
        f"/g/{thread_circle.group.handle}/agreements/{agreement_id}", headers=EN
    ).get_data(as_text=True)
    diff = html[html.index('class="word-diff"') :]
    diff = diff[: diff.index("</div>")]
    assert "@@" not in diff and "**" not in diff
    assert (
        '<ins><span class="visually-hidden">[insertion start] </span>'
        "&lt;script&gt;x&lt;/script&gt;"
        '<span class="visually-hidden"> [insertion end]</span></ins>'
    ) in diff
    assert "<script>" not in diff
    assert "Pas de réciprocité obligatoire " in diff  # unchanged words, without marks
    assert "On vérifie la disponibilité." in diff
