"""Who an ``@`` names (app/mentions.py): display names as people type them, handles,
the longest match, and nobody when two people would be named."""

from __future__ import annotations

from app.markdown import render_markdown
from app.mentions import Directory, Person, mention_text, suggest

BERNARD = Person("bernard-dupont", "Bernard Dupont")
BERNARDE = Person("bm", "Bernard Martin")
HELENE = Person("helene-roux", "Hélène Roux")
CLAIRE = Person("claire-vasseur", "Claire Vasseur")
PEOPLE = [BERNARD, BERNARDE, HELENE, CLAIRE]


def named(text, people=PEOPLE):
    return [(text[m.start : m.end], m.person.handle) for m in Directory(people).mentions(text)]


def test_a_first_name_names_the_only_person_called_so_case_and_accents_ignored():
    assert named("Merci @claire, et @helene !") == [
        ("@claire", "claire-vasseur"),
        ("@helene", "helene-roux"),
    ]
    assert named("@HÉLÈNE ROUX a raison") == [("@HÉLÈNE ROUX", "helene-roux")]


def test_the_longest_match_wins_and_an_ambiguous_name_names_nobody():
    assert named("@Bernard Dupont et @bernard martin.") == [
        ("@Bernard Dupont", "bernard-dupont"),
        ("@bernard martin", "bm"),
    ]
    assert named("Merci @Bernard !") == []  # two Bernards
    assert named("Merci @Bernard !", [BERNARD, HELENE]) == [("@Bernard", "bernard-dupont")]
    assert named("@Bernard Dupontel") == []  # not a word of the name: only "Bernard", twice


def test_a_name_given_whole_wins_over_first_names():
    solo = Person("bernard", "Bernard")
    assert named("@Bernard, oui", [solo, BERNARD]) == [("@Bernard", "bernard")]


def test_handles_still_work_and_addresses_are_no_mentions():
    assert named("@bm et @bernard-dupont") == [("@bm", "bm"), ("@bernard-dupont", "bernard-dupont")]
    assert named("écrire à claire@exemple.org ou @Clairette") == []


def test_mention_links_keep_the_text_typed_and_escape_it():
    html = str(
        render_markdown(
            "Merci @Hélène Roux & @inconnu <b>",
            people=[HELENE],
            url_for_handle=lambda handle: f"/u/{handle}",
        )
    )
    assert (
        '<a class="mention" href="/u/helene-roux">@Hélène Roux</a> &amp; @inconnu &lt;b&gt;' in html
    )


def test_what_to_type_and_suggestions():
    assert mention_text(HELENE, PEOPLE) == "Hélène Roux"
    twin = Person("bernard-2", "Bernard Dupont")
    assert mention_text(BERNARD, [BERNARD, twin]) == "bernard-dupont"
    assert suggest(PEOPLE, "ber") == [BERNARD, BERNARDE]
    assert suggest(PEOPLE, "rou") == [HELENE]
    assert suggest(PEOPLE, "hele") == [HELENE]
    assert suggest(PEOPLE, "bernard m") == [BERNARDE]
    assert len(suggest([Person(f"p{i}", f"Paul {i}") for i in range(20)], "pa")) == 8
