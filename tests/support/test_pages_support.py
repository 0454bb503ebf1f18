"""The support pages: who may see them, asking and answering through them, what each side
sees («pas maintenant» for the requester only), the route in words with the agreement it
comes from, check-ins, availability, rhythm, quiet hours, the dashboard, both languages,
and a fixed number of SQL statements whatever the number of requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fixtures.accounts import session_user_id
from fixtures.agreement_pages import EN, FR, text_of

from app.auth.models import User
from app.extensions import db
from app.groups.models import Group, Membership
from app.support import services
from app.support.models import CheckIn, CheckInPeriod, SupportRequest, SupportTime
from app.timeutil import utcnow


@pytest.fixture
def thread_circle(seed_thread_circle):
    """The proposal helpers' circle, with the seed's names."""
    return seed_thread_circle


@pytest.fixture
def circle(listening_circle):
    """Malik, Odile, Bruno and Chloé live by «Nos accords d'écoute»."""
    return listening_circle


def ask(run, circle, person, **fields):
    """A request made through the services, now → its id."""
    fields.setdefault("kind", "emotional")
    fields.setdefault("urgent", True)
    fields.setdefault("important", True)

    def make():
        group = db.session.get(Group, circle.group.id)
        user = db.session.get(User, person.id)
        return services.create_request(group, user, now=utcnow(), **fields).id

    return run(make)


def _membership(group_id, user_id) -> Membership:
    return db.session.scalar(
        sa.select(Membership).where(Membership.group_id == group_id, Membership.user_id == user_id)
    )


def set_membership(run, circle, person, **values):
    def change():
        membership = _membership(circle.group.id, person.id)
        for name, value in values.items():
            setattr(membership, name, value)

    run(change)


@pytest.fixture
def as_(client, auth):
    """``as_(person)``: the client, signed in as ``person``."""

    def sign_in(person):
        auth.login(person)
        return client

    return sign_in


SUPPORT = "/g/tilleuls/support"
ASKING = {
    "kind": "emotional",
    "urgent": "yes",
    "important": "yes",
    "body": "J'ai besoin d'écoute ce soir.",
    "when": "ce soir après 20 h",
    "channel": "Jitsi",
    "audience": "circle",
}


# -- who may see what ------------------------------------------------------------------


def test_outsiders_get_404_and_signed_out_people_sign_in(client, as_, circle, run, make_user):
    request_id = ask(run, circle, circle.malik)
    assert client.get(SUPPORT).status_code == 302
    assert "/signin" in client.get(f"/s/{request_id}").headers["Location"]
    stranger = make_user(name="Zoé")
    c = as_(stranger)
    assert c.get(SUPPORT).status_code == 404
    assert c.post(SUPPORT, data=ASKING).status_code == 404
    assert c.get(f"/s/{request_id}").status_code == 404
    assert c.post(f"/s/{request_id}/answer", data={"available": "yes"}).status_code == 404
    assert c.get("/s/999999").status_code == 404
    assert c.get("/g/nowhere/support").status_code == 404


def test_an_admin_the_request_does_not_address_gets_404(as_, circle, run):
    # Bruno asks Odile only: Malik, the group's admin, may not see it, nor may Chloé.
    request_id = ask(run, circle, circle.bruno, supporters=[circle.odile.id])
    for person in (circle.malik, circle.chloe):
        c = as_(person)
        assert c.get(f"/s/{request_id}").status_code == 404
        assert c.post(f"/s/{request_id}/close", data={"outcome": "happened"}).status_code == 404
        assert f'href="/s/{request_id}"' not in c.get(SUPPORT).get_data(as_text=True)
    assert as_(circle.odile).get(f"/s/{request_id}").status_code == 200
    assert as_(circle.bruno).get(f"/s/{request_id}").status_code == 200


def test_a_named_supporter_who_stops_giving_no_longer_sees_the_request(as_, circle, run):
    request_id = ask(run, circle, circle.bruno, supporters=[circle.odile.id])
    c = as_(circle.odile)
    assert f'href="/s/{request_id}"' in c.get(SUPPORT).get_data(as_text=True)
    set_membership(run, circle, circle.odile, gives_support=False)
    # the list and the page agree: neither shows it any more
    assert f'href="/s/{request_id}"' not in c.get(SUPPORT).get_data(as_text=True)
    assert c.get(f"/s/{request_id}").status_code == 404


def test_a_member_who_does_not_receive_support_sees_why_and_cannot_ask(as_, circle, run):
    set_membership(run, circle, circle.chloe, receives_support=False)
    c = as_(circle.chloe)
    text = text_of(c.get(SUPPORT, headers=EN).get_data(as_text=True))
    assert "You do not receive support in this circle, so you cannot ask here." in text
    assert "“Nos accords d'écoute” v1" in text
    assert "Send my request" not in text
    refused = c.post(SUPPORT, data=ASKING, headers=EN)
    assert refused.status_code == 403
    assert "you cannot ask here" in text_of(refused.get_data(as_text=True))
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(SupportRequest.id)))) == 0


# -- asking and answering ---------------------------------------------------------------------


def test_asking_through_the_page_then_odile_is_with_malik(as_, circle, run):
    c = as_(circle.malik)
    sent = c.post(SUPPORT, data=ASKING, headers=EN)
    assert sent.status_code == 302
    request_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    page = text_of(c.get(f"/s/{request_id}", headers=EN).get_data(as_text=True))
    assert "Your request is sent." in page
    assert "Listening" in page and "J'ai besoin d'écoute ce soir." in page
    assert "ce soir après 20 h" in page and "Jitsi" in page
    assert "Waiting for an answer" in page
    # the route: the rule in words, where it comes from, the next step's time
    assert (
        "The available supporters are told at once; without an answer within 30 minutes, "
        "the whole circle is told." in page
    )
    assert "Agreed in “Nos accords d'écoute” v1." in page
    assert "Without an answer by " in page and ", the whole circle is told." in page
    assert "Odile was told" in page and "Malik asked" in page

    # Odile finds it on her support page and on her dashboard, and answers.
    c = as_(circle.odile)
    support = text_of(c.get(SUPPORT, headers=EN).get_data(as_text=True))
    assert "Addressed to you" in support and "Listening · Malik" in support
    dashboard = c.get("/", headers=EN).get_data(as_text=True)
    assert f'href="/s/{request_id}"' in dashboard
    answered = c.post(
        f"/s/{request_id}/answer",
        data={"available": "yes", "message": "Je t'appelle à 20 h"},
        headers=EN,
    )
    assert answered.status_code == 302
    assert "You are with Malik." in text_of(c.get(f"/s/{request_id}", headers=EN).get_data(True))
    assert f'href="/s/{request_id}"' not in c.get("/", headers=EN).get_data(as_text=True)

    page = text_of(as_(circle.malik).get(f"/s/{request_id}", headers=EN).get_data(as_text=True))
    assert "Odile is with you." in page and "Je t'appelle à 20 h" in page

    # Bruno comes too late: 409, said at the top of the page, which keeps the focus.
    late = as_(circle.bruno).post(f"/s/{request_id}/answer", data={"available": "yes"}, headers=EN)
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert 'role="alert" tabindex="-1" autofocus>Someone is already with them.' in html


def test_not_now_is_seen_by_the_requester_only(as_, circle, run):
    request_id = ask(run, circle, circle.malik)
    assert (
        as_(circle.bruno).post(f"/s/{request_id}/answer", data={"available": "no"}).status_code
        == 302
    )
    malik_sees = text_of(as_(circle.malik).get(f"/s/{request_id}", headers=EN).get_data(True))
    assert "Bruno: not now" in malik_sees and "Bruno cannot now" in malik_sees
    odile_sees = text_of(as_(circle.odile).get(f"/s/{request_id}", headers=EN).get_data(True))
    assert "not now" not in odile_sees.replace("“Not now” needs", "")
    assert "Bruno cannot now" not in odile_sees
    bruno_sees = text_of(as_(circle.bruno).get(f"/s/{request_id}", headers=EN).get_data(True))
    assert "You said “not now”; you can still say you are available." in bruno_sees
    # nor is Bruno asked again on his dashboard; Odile still is
    assert f'href="/s/{request_id}"' not in as_(circle.bruno).get("/").get_data(as_text=True)
    assert f'href="/s/{request_id}"' in as_(circle.odile).get("/").get_data(as_text=True)


def test_a_supporter_in_quiet_hours_is_told_when_they_end(as_, circle, run):
    from zoneinfo import ZoneInfo

    local = utcnow().astimezone(ZoneInfo("Europe/Paris"))

    def quiet():
        odile = db.session.get(User, circle.odile.id)
        odile.quiet_from = (local - timedelta(hours=1)).time().replace(second=0)
        odile.quiet_until = (local + timedelta(hours=2)).time().replace(second=0)
        odile.quiet_wake = False

    run(quiet)
    request_id = ask(run, circle, circle.malik, important=False)
    page = text_of(as_(circle.malik).get(f"/s/{request_id}", headers=EN).get_data(True))
    assert "Odile will be told when their quiet hours end" in page
    assert "Bruno was told" in page


def test_release_close_and_withdraw(as_, circle, run):
    request_id = ask(run, circle, circle.malik)
    odile = as_(circle.odile)
    odile.post(f"/s/{request_id}/answer", data={"available": "yes"})
    assert odile.post(f"/s/{request_id}/release").status_code == 302
    assert run(lambda: db.session.get(SupportRequest, request_id).status) == "open"
    bruno = as_(circle.bruno)
    bruno.post(f"/s/{request_id}/answer", data={"available": "yes"})
    assert bruno.post(f"/s/{request_id}/close", data={"outcome": "happened"}).status_code == 302
    assert run(lambda: db.session.get(SupportRequest, request_id).outcome) == "happened"
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(SupportTime.id)))) == 1
    # a closed request cannot be withdrawn: 409 with the reason
    refused = as_(circle.malik).post(
        f"/s/{request_id}/close", data={"outcome": "not_needed"}, headers=EN
    )
    assert refused.status_code == 409
    assert "This request is closed." in refused.get_data(as_text=True)

    other = ask(run, circle, circle.malik, urgent=False, important=False)
    assert (
        as_(circle.odile).post(f"/s/{other}/close", data={"outcome": "not_needed"}).status_code
        == 403
    )
    assert (
        as_(circle.malik).post(f"/s/{other}/close", data={"outcome": "not_needed"}).status_code
        == 302
    )
    assert run(lambda: db.session.get(SupportRequest, other).outcome) == "not_needed"
    assert as_(circle.malik).post(f"/s/{other}/close", data={"outcome": "nope"}).status_code == 400


def test_form_errors_are_shown_next_to_their_fields(as_, circle, run):
    c = as_(circle.malik)
    refused = c.post(
        SUPPORT,
        data={"kind": "emotional", "body": "x" * 2001, "channel": "WhatsApp", "audience": "named"},
        headers=EN,
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Your request is not sent yet" in html
    assert 'id="urgent-error"' in html and 'id="important-error"' in html
    assert 'id="body-error"' in html and 'id="channel-error"' in html
    assert "Choose at least one person" in html
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(SupportRequest.id)))) == 0


def test_named_supporters_only_and_the_page_keeps_the_answers(as_, circle, run):
    c = as_(circle.malik)
    sent = c.post(
        SUPPORT,
        data={**ASKING, "urgent": "no", "audience": "named", "supporters": [circle.odile.id]},
    )
    request_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    page = text_of(c.get(f"/s/{request_id}", headers=EN).get_data(as_text=True))
    assert "only Odile" in page
    assert "The supporters you named see it now and in their daily email" in page
    assert as_(circle.bruno).get(f"/s/{request_id}").status_code == 404


def test_a_due_step_is_taken_before_the_page_reads(as_, circle, run):
    request_id = ask(run, circle, circle.malik, important=False)

    def long_ago():
        request = db.session.get(SupportRequest, request_id)
        request.created_at -= timedelta(hours=13)
        request.lapse_at -= timedelta(hours=13)

    run(long_ago)
    page = text_of(as_(circle.malik).get(f"/s/{request_id}", headers=EN).get_data(True))
    assert "Nobody was free in time: the request ended quietly." in page
    assert run(lambda: db.session.get(SupportRequest, request_id).status) == "lapsed"


# -- the route, before asking -----------------------------------------------------------------


def test_the_page_says_who_will_be_asked_and_what_happens_next(as_, circle, run):
    set_membership(run, circle, circle.chloe, availability="busy")
    text = text_of(as_(circle.malik).get(SUPPORT, headers=EN).get_data(as_text=True))
    assert (
        "Soon, and it matters a lot The available supporters are told at once; without an "
        "answer within 30 minutes, the whole circle is told. Agreed in “Nos accords "
        "d'écoute” v1." in text
    )
    assert "if nobody is free within 12 hours, the request ends quietly." in text
    assert "The default rule: not agreed yet." in text
    assert "Available now: Bruno, Odile." in text
    assert "Busy (asked only if nobody answers in time): Chloé." in text
    # the agreed channels are the choices
    html = as_(circle.malik).get(SUPPORT, headers=EN).get_data(as_text=True)
    assert 'value="Jitsi"' in html and 'value="téléphone"' in html

    fr = text_of(as_(circle.malik).get(SUPPORT, headers=FR).get_data(as_text=True))
    assert (
        "Les personnes disponibles sont prévenues tout de suite ; sans réponse dans "
        "30 minutes, tout le cercle est prévenu." in fr
    )
    assert "Convenu dans « Nos accords d'écoute » v1." in fr


def test_a_free_channel_when_none_is_agreed(as_, thread_circle, run):
    html = as_(thread_circle.admin).get("/g/tilleuls/support", headers=EN).get_data(True)
    assert 'name="channel_free"' in html and "has not agreed on ways of meeting" in html
    sent = as_(thread_circle.admin).post(
        "/g/tilleuls/support", data={**ASKING, "channel_free": "au parc"}
    )
    assert sent.status_code == 302
    assert run(lambda: db.session.scalar(sa.select(SupportRequest.channel))) == "au parc"


# -- check-ins, availability, rhythm ------------------------------------------------------


def test_check_ins_claim_and_record(as_, circle, run):
    c = as_(circle.odile)
    text = text_of(c.get(SUPPORT, headers=EN).get_data(as_text=True))
    assert "Check-ins due" in text and "Bruno" in text and "I'll do it" in text
    assert "The circle has not heard from you for a while." in text
    dashboard = text_of(c.get("/", headers=EN).get_data(as_text=True))
    assert "Check-ins due" in dashboard and "Bruno" in dashboard
    assert (
        c.post(f"{SUPPORT}/check-ins/claim", data={"member_id": circle.bruno.id}).status_code == 302
    )
    text = text_of(c.get(SUPPORT, headers=EN).get_data(as_text=True))
    assert "You said you would do it." in text
    other = as_(circle.malik)
    assert "Odile said they would do it." in text_of(other.get(SUPPORT, headers=EN).get_data(True))
    late = other.post(f"{SUPPORT}/check-ins/claim", data={"member_id": circle.bruno.id}, headers=EN)
    assert late.status_code == 409
    assert "Someone else said they would do it." in late.get_data(as_text=True)
    c = as_(circle.odile)
    recorded = c.post(
        f"{SUPPORT}/check-ins", data={"member_id": circle.bruno.id, "note": "On a parlé"}
    )
    assert recorded.status_code == 302
    notes = run(
        lambda: [(i.member_id, i.by_id, i.note) for i in db.session.scalars(sa.select(CheckIn))]
    )
    assert notes == [(circle.bruno.id, circle.odile.id, "On a parlé")]
    # my own "all is well"
    assert c.post(f"{SUPPORT}/check-ins", data={"member_id": circle.odile.id}).status_code == 302
    kinds = run(lambda: sorted(i.kind for i in db.session.scalars(sa.select(CheckIn))))
    assert kinds == ["all_well", "check_in"]
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(CheckInPeriod.id)))) == 1


def test_availability_busy_then_away_until_a_date(as_, circle, run):
    c = as_(circle.odile)
    assert (
        c.post(
            f"{SUPPORT}/availability",
            data={"availability": "busy", "gives_support": "y", "receives_support": "y"},
        ).status_code
        == 302
    )
    assert run(lambda: _membership(circle.group.id, circle.odile.id).availability) == "busy"
    until = (utcnow() + timedelta(days=5)).date()
    c.post(
        f"{SUPPORT}/availability",
        data={"availability": "away", "until": until.isoformat(), "gives_support": "y"},
    )
    saved = run(
        lambda: (
            _membership(circle.group.id, circle.odile.id).availability,
            _membership(circle.group.id, circle.odile.id).availability_until,
            _membership(circle.group.id, circle.odile.id).receives_support,
        )
    )
    assert saved == ("away", until, False)
    text = text_of(c.get(SUPPORT, headers=EN).get_data(as_text=True))
    assert "You do not receive support in this circle" in text
    assert c.post(f"{SUPPORT}/availability", data={"availability": "later"}).status_code == 400


def test_rhythm_is_mine_and_a_time_can_be_noted(as_, circle, run):
    c = as_(circle.malik)
    text = text_of(c.get(SUPPORT, headers=EN).get_data(as_text=True))
    assert "This week: 0 of the 2 support times you aim at." in text
    assert c.post(f"{SUPPORT}/times", data={"note": "Avec Odile"}).status_code == 302
    text = text_of(c.get(SUPPORT, headers=EN).get_data(as_text=True))
    assert "This week: 1 of the 2 support times you aim at." in text
    fr = text_of(c.get(SUPPORT, headers=FR).get_data(as_text=True))
    assert "Cette semaine : 1 temps de soutien sur les 2 que vous visez." in fr


def test_quiet_hours_in_the_profile(as_, circle, run):
    c = as_(circle.odile)
    assert "Quiet hours" in c.get("/profile", headers=EN).get_data(as_text=True)
    saved = c.post(
        "/profile/quiet-hours",
        data={"quiet-quiet_from": "22:00", "quiet-quiet_until": "07:00"},
    )
    assert saved.status_code == 302

    def quiet():
        user = db.session.get(User, circle.odile.id)
        return user.quiet_from, user.quiet_until, user.quiet_wake

    assert tuple(map(str, run(quiet))) == (
        "22:00:00",
        "07:00:00",
        "False",
    )
    half = c.post("/profile/quiet-hours", data={"quiet-quiet_from": "22:00"}, headers=EN)
    assert half.status_code == 400
    assert "Give both times" in half.get_data(as_text=True)
    c.post("/profile/quiet-hours", data={"quiet-quiet_wake": "y"})
    assert run(quiet) == (None, None, True)


def test_group_page_links_to_support(as_, circle):
    html = as_(circle.odile).get("/g/tilleuls", headers=FR).get_data(as_text=True)
    assert 'href="/g/tilleuls/support"' in html and "Demander du soutien" in html


def test_writes_need_the_csrf_token(csrf_app, circle):
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(client.application, circle.malik.id)
    assert client.post(SUPPORT, data=ASKING).status_code == 400
    assert client.get(SUPPORT).status_code == 200


# -- languages --------------------------------------------------------------------------


def test_pages_in_french_and_english(as_, circle, run):
    request_id = ask(run, circle, circle.malik, body="Besoin de parler")
    c = as_(circle.malik)
    fr = text_of(c.get(SUPPORT, headers=FR).get_data(as_text=True))
    for words in (
        "Demander du soutien",
        "Avez-vous besoin de quelqu'un bientôt ?",
        "Est-ce important pour vous ?",
        "Écoute",
        "Mes disponibilités",
        "Relances à faire",
    ):
        assert words in fr, words
    en = text_of(c.get(SUPPORT, headers=EN).get_data(as_text=True))
    assert "Do you need someone soon?" in en and "Does it matter a lot to you?" in en
    page = text_of(as_(circle.odile).get(f"/s/{request_id}", headers=FR).get_data(True))
    assert "Je suis disponible" in page and "Pas maintenant" in page
    assert "Odile a reçu la demande" in page
    mine = as_(circle.malik).get(f"/s/{request_id}", headers=FR).get_data(as_text=True)
    assert "Retirer ma demande" in text_of(mine)


# -- a fixed number of SQL statements --------------------------------------------------------


def _requests(run, circle, n):
    for i in range(n):
        asker = circle.people[i % 4]
        ask(run, circle, asker, urgent=bool(i % 2), important=bool(i % 3), body=f"Demande {i}")


def test_support_and_request_pages_take_a_fixed_number_of_statements(
    as_, circle, run, count_queries
):
    _requests(run, circle, 2)
    first = run(lambda: db.session.scalar(sa.select(sa.func.min(SupportRequest.id))))
    c = as_(circle.odile)
    c.get(SUPPORT)  # warm up
    with count_queries() as few:
        assert c.get(SUPPORT).status_code == 200
    with count_queries() as few_one:
        assert c.get(f"/s/{first}").status_code == 200
    with count_queries() as few_home:
        assert c.get("/").status_code == 200
    _requests(run, circle, 38)
    with count_queries() as many:
        large = c.get(SUPPORT)
    assert large.status_code == 200
    assert large.get_data(as_text=True).count('class="request-item') == 40
    with count_queries() as many_one:
        assert c.get(f"/s/{first}").status_code == 200
    with count_queries() as many_home:
        assert c.get("/").status_code == 200
    assert many.count == few.count, many.statements
    assert many_one.count == few_one.count, many_one.statements
    assert many_home.count == few_home.count, many_home.statements
    print(f"support page {few.count}, request page {few_one.count}, dashboard {few_home.count}")


def test_the_dashboard_shows_the_longest_due_check_ins_and_links_to_the_rest(
    as_, circle, run, make_user, count_queries
):
    from fixtures.memberships import admit

    from app.dashboard.views import CHECK_INS_SHOWN

    def statements():
        with count_queries() as q:
            assert as_(circle.odile).get("/", headers=EN).status_code == 200
        return q.count

    few = statements()
    people = [make_user(name=f"Membre {i:02d}") for i in range(CHECK_INS_SHOWN + 5)]

    def join():
        group = db.session.get(Group, circle.group.id)
        for i, person in enumerate(people):
            # after the rule (a month ago), one an hour: due 21 days after joining
            joined = utcnow() - timedelta(days=29) + timedelta(hours=i)
            admit(group, db.session.get(User, person.id), now=joined)

    run(join)
    html = as_(circle.odile).get("/", headers=EN).get_data(as_text=True)
    section = html.split('id="check-ins-heading"', 1)[1].split("</section>", 1)[0]
    shown = section.split('class="more-check-ins"', 1)[0]
    assert shown.count("<li>") == CHECK_INS_SHOWN
    # due the longest first: the members there since the rule, then the newcomers in turn
    order = [shown.index(name) for name in ("Bruno", "Membre 00", "Membre 11")]
    assert order == sorted(order) and "Malik" in shown and "Chloé" in shown
    assert "Membre 12" not in shown
    # the rest (eight newcomers): how many, with the circle's page that lists them all
    rest = text_of(section.split('class="more-check-ins"', 1)[1])
    assert f"8 more in {circle.group.name}" in rest
    assert f'href="/g/{circle.group.handle}/support#check-ins"' in section
    assert statements() == few
