"""The notification settings page: in French, saved with one form, errors named per
field, bounded input, quiet hours through the profile's own rules, all email back on,
per-thread overrides listed and removed, and a word when emails are not going out."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa
from fixtures.accounts import session_user_id

from app.extensions import db
from app.timeutil import utcnow

FR = {"Accept-Language": "fr"}
EN = {"Accept-Language": "en"}
URL = "/notifications/settings"


def _user(app, person):
    from app.auth.models import User

    with app.app_context():
        user = db.session.get(User, person.id)
        return {
            name: getattr(user, name)
            for name in (
                "digest_hour",
                "digest_days",
                "email_discreet",
                "email_off",
                "quiet_from",
                "quiet_until",
                "quiet_wake",
            )
        }


def _volumes(app, person, group):
    from app.groups.models import Membership

    with app.app_context():
        m = db.session.scalar(
            sa.select(Membership).where(
                Membership.user_id == person.id,
                Membership.group_id == group.id,
                Membership.revoked_at.is_(None),
            )
        )
        return m.volume, m.support_volume


def _form(*groups, **changes):
    """A complete, valid post of the page (what the browser sends), with ``changes``."""
    data = {
        "digest_when": "days",
        "digest_hour": "7",
        "digest_days": [str(d) for d in range(1, 8)],
        "quiet-quiet_from": "",
        "quiet-quiet_until": "",
        "quiet-quiet_wake": "y",
    }
    for group in groups:
        data[f"volume_{group.id}"] = "all"
        data[f"support_volume_{group.id}"] = "immediate"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_in_french_explains_each_choice(client, auth, circle_with_outsider):
    bruno = circle_with_outsider.members[0]
    auth.login(bruno)
    html = client.get(URL, headers=FR).get_data(as_text=True)
    assert "<h1>Réglages de notifications</h1>" in html
    assert circle_with_outsider.group.name in html
    assert "Tout\u00a0: un courriel tout de suite pour ce qui me concerne" in html
    assert "Courriel du jour\u00a0: tout dans mon courriel du jour" in html
    assert "Silence\u00a0: aucun courriel" in html
    assert "les demandes urgentes et importantes arrivent tout de suite" in html
    for day in ("Lundi", "Mercredi", "Dimanche"):
        assert day in html
    assert 'value="7" selected' in html or 'selected value="7"' in html  # 07:00 by default
    assert "Heures calmes" in html and "Courriels discrets pour les demandes de soutien" in html
    assert "Aucun courriel de notification" in html
    # found from the notifications list and from the profile
    assert f'href="{URL}"' in client.get("/notifications", headers=FR).get_data(as_text=True)
    assert f'href="{URL}"' in client.get("/profile", headers=FR).get_data(as_text=True)


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_saving_every_setting_at_once(app, client, auth, circle_with_outsider):
    bruno, group = circle_with_outsider.members[0], circle_with_outsider.group
    auth.login(bruno)
    response = client.post(
        URL,
        data=_form(
            group,
            **{
                f"volume_{group.id}": "digest",
                f"support_volume_{group.id}": "digest",
                "digest_hour": "21",
                "digest_days": ["5", "1", "3"],
                "quiet-quiet_from": "22:00",
                "quiet-quiet_until": "07:30",
                "quiet-quiet_wake": None,
                "email_discreet": "y",
            },
        ),
        headers=FR,
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    assert _volumes(app, bruno, group) == ("digest", "digest")
    assert _user(app, bruno) == {
        "digest_hour": 21,
        "digest_days": "135",
        "email_discreet": True,
        "email_off": False,
        "quiet_from": time(22, 0),
        "quiet_until": time(7, 30),
        "quiet_wake": False,
    }
    html = client.get(URL, headers=FR).get_data(as_text=True)
    assert "Vos réglages de notifications sont enregistrés." in html
    assert f'checked id="volume_{group.id}-1"' in html  # digest, shown as saved
    assert 'checked id="digest_days-0"' in html and 'id="digest_days-1" name' in html
    assert 'value="22:00"' in html


def test_never_means_no_digest_and_on_again_starts_from_every_day(
    app, client, auth, circle_with_outsider
):
    bruno, group = circle_with_outsider.members[0], circle_with_outsider.group
    auth.login(bruno)
    client.post(URL, data=_form(group, digest_when="never"))
    assert _user(app, bruno)["digest_days"] == ""
    html = client.get(URL, headers=EN).get_data(as_text=True)
    assert 'checked id="digest_when-1"' in html
    assert html.count('checked id="digest_days-') == 7


def test_errors_are_named_per_field_and_nothing_changes(app, client, auth, circle_with_outsider):
    bruno, group = circle_with_outsider.members[0], circle_with_outsider.group
    auth.login(bruno)
    before = _user(app, bruno)
    response = client.post(
        URL,
        data=_form(
            group,
            **{
                f"volume_{group.id}": "loud",
                f"support_volume_{group.id}": None,
                "digest_hour": "24",
                "digest_days": ["2", "8"],
                "quiet-quiet_from": "22:00",
                "email_off": "y",
            },
        ),
        headers=FR,
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Certains réglages ne sont pas valides" in html
    for field in (
        f"volume_{group.id}",
        f"support_volume_{group.id}",
        "digest_hour",
        "digest_days",
        "quiet-quiet_until",
    ):
        assert f'id="{field}-error"' in html, field
    assert "Donnez les deux heures, ou aucune" in html  # the profile's own rule
    assert _user(app, bruno) == before
    assert _volumes(app, bruno, group) == ("all", "immediate")
    # "on the days checked" with no day checked
    response = client.post(URL, data=_form(group, digest_days=None), headers=FR)
    assert response.status_code == 400
    assert "Cochez au moins un jour, ou choisissez «\u00a0Jamais\u00a0»." in response.get_data(
        as_text=True
    )
    response = client.post(URL, data=_form(group, digest_days=["lundi"]), headers=EN)
    assert response.status_code == 400 and 'id="digest_days-error"' in response.get_data(
        as_text=True
    )


def test_other_peoples_and_unknown_groups_are_ignored(
    app, client, auth, circle_with_outsider, make_user, make_group
):
    bruno, group = circle_with_outsider.members[0], circle_with_outsider.group
    stranger = make_user(name="Zoé")
    elsewhere = make_group(stranger)
    auth.login(bruno)
    response = client.post(
        URL,
        data=_form(
            group,
            **{
                f"volume_{elsewhere.id}": "mute",
                f"support_volume_{elsewhere.id}": "digest",
                "volume_999999": "mute",
            },
        ),
    )
    assert response.status_code == 302
    assert _volumes(app, stranger, elsewhere) == ("all", "immediate")
    assert _volumes(app, bruno, group) == ("all", "immediate")


def test_all_email_can_be_turned_back_on_after_unsubscribing(
    app, client, auth, circle_with_outsider
):
    from app.notifications import unsubscribe

    bruno, group = circle_with_outsider.members[0], circle_with_outsider.group
    with app.app_context():
        unsubscribe.apply(bruno.id, unsubscribe.ALL, now=utcnow())
        db.session.commit()
    auth.login(bruno)
    html = client.get(URL, headers=FR).get_data(as_text=True)
    assert "Vous ne recevez aucun courriel de notification." in html
    assert 'checked id="email_off"' in html
    client.post(URL, data=_form(group))  # the box left unchecked
    assert _user(app, bruno)["email_off"] is False
    assert "aucun courriel de notification." not in client.get(URL, headers=FR).get_data(
        as_text=True
    )


def test_a_person_is_told_when_emails_are_not_going_out(app, client, auth, circle_with_outsider):
    from app import outbox

    auth.login(circle_with_outsider.members[0])
    html = client.get(URL, headers=FR).get_data(as_text=True)
    assert "Les courriels ne partent pas encore" in html
    with app.app_context():
        outbox.beat("jobs", utcnow() - timedelta(hours=2), "host", "")
    html = client.get(URL, headers=FR).get_data(as_text=True)
    assert "a tourné pour la dernière fois il y a 2 heures" in html
    with app.app_context():
        outbox.beat("jobs", utcnow(), "host", "")
    html = client.get(URL, headers=FR).get_data(as_text=True)
    assert 'id="jobs-late"' not in html


def test_the_form_needs_its_csrf_token(csrf_app, circle_with_outsider):
    from app.auth.models import User

    client = csrf_app.test_client()
    bruno, group = circle_with_outsider.members[0], circle_with_outsider.group
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(client.application, bruno.id)
    response = client.post(URL, data=_form(group, email_off="y"))
    assert response.status_code == 400
    with csrf_app.app_context():
        assert db.session.get(User, bruno.id).email_off is False
