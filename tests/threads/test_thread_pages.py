"""Thread pages: start, edit with history, close, pin, comments, replies, reactions, read marks."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from fixtures.accounts import session_user_id

from app.extensions import db
from app.threads.models import Comment, CommentVersion, Reaction, Thread, ThreadVersion
from app.timeutil import utcnow

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def text(response) -> str:
    return response.get_data(as_text=True)


def test_start_a_thread(client, auth, secret_circle):
    auth.login(secret_circle.member)
    form = client.get(f"/g/{secret_circle.group.handle}/threads/new", headers=EN)
    assert form.status_code == 200
    assert "To mention someone: @ and their name." in text(form)
    assert 'for="title"' in text(form) and 'for="body"' in text(form)

    response = client.post(
        f"/g/{secret_circle.group.handle}/threads/new",
        data={"title": "Réseau ou système ?", "body": "Quelle **différence** ?"},
        headers=EN,
    )
    assert response.status_code == 302
    thread_page = client.get(response.headers["Location"], headers=EN)
    html = text(thread_page)
    assert "<h1" in html and "Réseau ou système ?" in html
    assert "<strong>différence</strong>" in html
    assert "Bruno Member" in html
    assert f'href="/g/{secret_circle.group.handle}"' in html  # breadcrumb back to the group
    assert 'aria-current="page"' in html


def test_start_a_thread_needs_a_title(client, auth, secret_circle):
    auth.login(secret_circle.member)
    response = client.post(
        f"/g/{secret_circle.group.handle}/threads/new", data={"title": " ", "body": "x"}, headers=EN
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in text(response)


def test_edit_keeps_every_version(app, client, auth, secret_circle, make_thread):
    thread = make_thread(
        secret_circle.group, secret_circle.member, title="Premier titre", body="Premier texte"
    )
    auth.login(secret_circle.member)
    assert client.get(f"/t/{thread.id}/edit", headers=EN).status_code == 200
    response = client.post(
        f"/t/{thread.id}/edit", data={"title": "Second titre", "body": "Second texte"}, headers=EN
    )
    assert response.status_code == 302

    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert "Second titre" in html
    assert f'href="/t/{thread.id}/versions"' in html and "edited" in html

    history = text(client.get(f"/t/{thread.id}/versions", headers=EN))
    assert "Version 2" in history and "Version 1" in history
    assert history.index("Version 2") < history.index("Version 1")  # newest first
    assert "Premier texte" in history and "Second texte" in history
    assert "<del>Premier titre</del>" in history and "<ins>Second titre</ins>" in history
    assert "Premier texte</del>" in history and "Second texte</ins>" in history
    with app.app_context():
        versions = db.session.scalars(
            sa.select(ThreadVersion).where(ThreadVersion.thread_id == thread.id)
        ).all()
        assert [v.number for v in versions] == [1, 2]


def test_close_reopen_and_pin(app, client, auth, secret_circle, make_thread):
    thread = make_thread(secret_circle.group, secret_circle.member)
    auth.login(secret_circle.admin)
    assert client.post(f"/t/{thread.id}/close").status_code == 302
    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert "This thread is closed" in html
    assert f'action="/t/{thread.id}/comments"' not in html  # no comment or reply form

    auth.login(secret_circle.member)
    closed = client.post(f"/t/{thread.id}/comments", data={"body": "Encore ?"}, headers=EN)
    assert closed.status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0

    auth.login(secret_circle.admin)
    client.post(f"/t/{thread.id}/reopen")
    client.post(f"/t/{thread.id}/pin")
    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert "This thread is closed" not in html
    assert "Pinned" in html and "Unpin" in html
    client.post(f"/t/{thread.id}/unpin")
    with app.app_context():
        stored = db.session.get(Thread, thread.id)
        assert stored.closed_at is None and stored.pinned_at is None

    auth.login(secret_circle.member)
    assert client.post(f"/t/{thread.id}/comments", data={"body": "Oui"}).status_code == 302


def test_comments_and_replies_form_a_one_level_timeline(
    app, client, auth, secret_circle, make_thread
):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    auth.login(secret_circle.member)
    first = client.post(f"/t/{thread.id}/comments", data={"body": "Premier"})
    assert first.status_code == 302
    with app.app_context():
        top_id = db.session.scalar(sa.select(Comment.id).where(Comment.body == "Premier"))
    assert first.headers["Location"].endswith(f"#comment-{top_id}")
    client.post(f"/t/{thread.id}/comments", data={"body": "Réponse", "parent_id": str(top_id)})
    with app.app_context():
        reply_id = db.session.scalar(sa.select(Comment.id).where(Comment.body == "Réponse"))
    # A reply to a reply attaches to the top comment.
    client.post(
        f"/t/{thread.id}/comments", data={"body": "Sous-réponse", "parent_id": str(reply_id)}
    )
    client.post(f"/t/{thread.id}/comments", data={"body": "Second"})
    with app.app_context():
        parents = dict(db.session.execute(sa.select(Comment.body, Comment.parent_id)).all())
    assert parents == {"Premier": None, "Réponse": top_id, "Sous-réponse": top_id, "Second": None}

    html = text(client.get(f"/t/{thread.id}", headers=EN))
    order = [html.index(body) for body in ("Premier", "Réponse", "Sous-réponse", "Second")]
    assert order == sorted(order)
    replies_block = html[html.index('class="replies"') : html.index("Second")]
    assert "Réponse" in replies_block and "Sous-réponse" in replies_block
    assert "<time datetime=" in html
    # «Reply» under the top comment only, to a page of its own, replying to the top
    assert f'href="/comments/{top_id}/reply"' in html
    assert f'href="/comments/{reply_id}/reply"' not in html
    for answered, quoted in ((top_id, "Premier"), (reply_id, "Réponse")):
        page = text(client.get(f"/comments/{answered}/reply", headers=EN))
        assert f'name="parent_id" type="hidden" value="{top_id}"' in page
        assert "<h1>Reply to" in page and f"<p>{quoted}</p>" in page


def test_empty_comment_is_refused(client, auth, secret_circle, make_thread):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    auth.login(secret_circle.member)
    response = client.post(f"/t/{thread.id}/comments", data={"body": "  "}, headers=EN)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in text(response)


def test_edit_comment_keeps_versions(app, client, auth, secret_circle, make_thread, comment_as):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    comment_id = comment_as(secret_circle.member, thread, "Version initiale")
    auth.login(secret_circle.member)
    assert client.get(f"/comments/{comment_id}/edit", headers=EN).status_code == 200
    response = client.post(f"/comments/{comment_id}/edit", data={"body": "Version corrigée"})
    assert response.status_code == 302

    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert "Version corrigée" in html and "Version initiale" not in html
    assert f'href="/comments/{comment_id}/versions"' in html

    history = text(client.get(f"/comments/{comment_id}/versions", headers=EN))
    newest, oldest = history.index('id="version-2"'), history.index('id="version-1"')
    assert newest < oldest  # newest first
    assert "Version corrigée" in history[newest:oldest]
    assert "Version initiale" in history[oldest:]
    assert "Version initiale</del>" in history and "Version corrigée</ins>" in history
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(CommentVersion.id)).where(
                CommentVersion.comment_id == comment_id
            )
        )
        assert count == 2


def test_delete_comment_keeps_its_place_and_replies(
    app, client, auth, secret_circle, make_thread, comment_as
):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    top = comment_as(secret_circle.member, thread, "Texte à effacer")
    comment_as(secret_circle.admin, thread, "Une réponse qui reste", parent_id=top)
    auth.login(secret_circle.member)
    confirm = client.get(f"/comments/{top}/delete", headers=EN)
    assert confirm.status_code == 200 and "Delete this comment?" in text(confirm)
    assert client.post(f"/comments/{top}/delete").status_code == 302

    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert "Comment deleted" in html
    assert "Texte à effacer" not in html
    assert "Une réponse qui reste" in html
    assert f'id="comment-{top}"' in html
    # No second deletion; the history is gone too.
    assert client.post(f"/comments/{top}/delete").status_code == 409
    assert "Texte à effacer" not in text(client.get(f"/comments/{top}/versions", headers=EN))


def test_admin_may_delete_others_comments(client, auth, secret_circle, make_thread, comment_as):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    comment_id = comment_as(secret_circle.member, thread, "Hors sujet")
    auth.login(secret_circle.admin)
    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert f'href="/comments/{comment_id}/delete"' in html
    assert f'href="/comments/{comment_id}/edit"' not in html  # edit is the author's only
    assert client.post(f"/comments/{comment_id}/delete").status_code == 302


def test_reactions_toggle(app, client, auth, secret_circle, make_thread, comment_as):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    comment_id = comment_as(secret_circle.admin, thread, "Merci à tous")
    auth.login(secret_circle.member)
    client.post(f"/comments/{comment_id}/reactions", data={"emoji": "🙏", "action": "add"})
    client.post(f"/comments/{comment_id}/reactions", data={"emoji": "🙏", "action": "add"})
    html = text(client.get(f"/t/{thread.id}", headers=EN))
    pressed = re.search(r'aria-pressed="true">🙏 1</button>', html)
    assert pressed, "my reaction shows as a pressed button with its count"
    # The pressed button takes the reaction back: it is what the browser sends.
    assert 'name="remove" value="🙏"' in html

    auth.login(secret_circle.admin)
    client.post(f"/comments/{comment_id}/reactions", data={"emoji": "🙏", "action": "add"})
    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert 'aria-pressed="true">🙏 2</button>' in html

    auth.login(secret_circle.member)
    client.post(f"/comments/{comment_id}/reactions", data={"remove": "🙏"})
    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert 'aria-pressed="false">🙏 1</button>' in html
    assert 'name="add" value="🙏"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Reaction.id))) == 1

    unknown = client.post(f"/comments/{comment_id}/reactions", data={"emoji": "💩"})
    assert unknown.status_code == 400


def test_new_comments_are_marked_until_seen(
    app, client, auth, secret_circle, make_thread, comment_as, set_seen
):
    now = utcnow()
    thread = make_thread(secret_circle.group, secret_circle.admin)
    comment_as(secret_circle.admin, thread, "Ancien", now=now - timedelta(hours=2))
    set_seen(secret_circle.member, thread, now - timedelta(hours=1))
    new_1 = comment_as(secret_circle.admin, thread, "Nouveau 1", now=now - timedelta(minutes=30))
    comment_as(secret_circle.admin, thread, "Nouveau 2", now=now - timedelta(minutes=20))
    comment_as(secret_circle.member, thread, "Le mien", now=now - timedelta(minutes=10))
    auth.login(secret_circle.member)

    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert html.count('class="badge badge-new"') == 2  # not the old one, not mine
    # a space between the badge and the author's name («new Alice», not «newAlice»)
    assert html.count('badge-new">new</span> <a href="/u/') == 2
    assert "2 new comments since your last visit" in html
    assert f'href="#comment-{new_1}"' in html
    assert f'data-mark-seen="/t/{thread.id}/seen"' in html
    # GET wrote nothing: reading again still shows them as new.
    assert text(client.get(f"/t/{thread.id}", headers=EN)).count("badge badge-new") == 2

    # The JavaScript request gets an empty answer; the button redirects back.
    assert client.post(f"/t/{thread.id}/seen").status_code == 204
    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert "badge badge-new" not in html and "since your last visit" not in html

    set_seen(secret_circle.member, thread, now - timedelta(hours=1))
    response = client.post(f"/t/{thread.id}/seen", data={"redirect": "1"})
    assert response.status_code == 302
    assert "badge badge-new" not in text(client.get(f"/t/{thread.id}", headers=EN))


def test_posting_a_comment_marks_the_thread_read(
    client, auth, secret_circle, make_thread, comment_as, set_seen
):
    now = utcnow()
    thread = make_thread(secret_circle.group, secret_circle.admin)
    set_seen(secret_circle.member, thread, now - timedelta(hours=1))
    comment_as(secret_circle.admin, thread, "Nouveau", now=now - timedelta(minutes=5))
    auth.login(secret_circle.member)
    assert "badge badge-new" in text(client.get(f"/t/{thread.id}", headers=EN))
    client.post(f"/t/{thread.id}/comments", data={"body": "Je réponds"})
    assert "badge badge-new" not in text(client.get(f"/t/{thread.id}", headers=EN))


def test_thread_page_in_english_and_french(client, auth, secret_circle, make_thread, comment_as):
    thread = make_thread(secret_circle.group, secret_circle.admin, title="Nos accords")
    comment_as(secret_circle.member, thread, "Bonjour")
    auth.login(secret_circle.member)

    english = client.get(f"/t/{thread.id}", headers=EN)
    assert english.status_code == 200
    html = text(english)
    assert '<html lang="en">' in html
    assert "1 comment" in html and "Add a comment" in html and "Reply" in html

    french = client.get(f"/t/{thread.id}", headers=FR)
    assert french.status_code == 200
    html = text(french)
    assert '<html lang="fr">' in html
    assert "Nos accords" in html and "Bonjour" in html
    assert 'id="comments-title"' in html and 'id="add-comment-title"' in html
    assert 'name="body"' in html


def test_non_member_of_an_open_group_reads_but_does_not_write(
    client, auth, make_user, make_group, make_thread, comment_as
):
    admin, visitor = make_user(), make_user()
    group = make_group(admin, privacy="open")
    thread = make_thread(group, admin, title="Ouvert à tous")
    comment_id = comment_as(admin, thread, "Lisible")
    auth.login(visitor)
    html = text(client.get(f"/t/{thread.id}", headers=EN))
    assert "Ouvert à tous" in html and "Lisible" in html
    assert "Add a comment" not in html and 'name="emoji"' not in html
    assert "Only members of the group can take part" in html
    assert client.post(f"/t/{thread.id}/comments", data={"body": "x"}).status_code == 403
    react = client.post(f"/comments/{comment_id}/reactions", data={"emoji": "👍"})
    assert react.status_code == 403


def test_writes_need_the_csrf_token(csrf_app, secret_circle, make_thread, comment_as):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    comment_id = comment_as(secret_circle.admin, thread, "Bonjour")
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(client.application, secret_circle.member.id)
    html = text(client.get(f"/t/{thread.id}", headers=EN))
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)

    assert client.post(f"/t/{thread.id}/seen").status_code == 400
    # What static/app.js sends: the token in the form body.
    assert client.post(f"/t/{thread.id}/seen", data={"csrf_token": token}).status_code == 204
    assert client.post(f"/t/{thread.id}/comments", data={"body": "Sans jeton"}).status_code == 400
    reaction = {"emoji": "👍", "action": "add", "csrf_token": token}
    assert client.post(f"/comments/{comment_id}/reactions", data=reaction).status_code == 302
    posted = client.post(f"/t/{thread.id}/comments", data={"body": "Avec", "csrf_token": token})
    assert posted.status_code == 302


def test_a_reply_that_is_refused_comes_back_on_its_page_with_the_text_kept(
    client, auth, secret_circle, make_thread, comment_as
):
    """Without JavaScript a reply is written on its own page; refused (empty, too long),
    it comes back there with the error and what was typed, not lost on the thread."""
    thread = make_thread(secret_circle.group, secret_circle.admin)
    top_id = comment_as(secret_circle.admin, thread, "Qui peut dimanche ?")
    auth.login(secret_circle.member)
    empty = client.post(
        f"/t/{thread.id}/comments", data={"body": "  ", "parent_id": str(top_id)}, headers=FR
    )
    assert empty.status_code == 400
    page = text(empty)
    assert "<h1>Répondre à" in page and "Qui peut dimanche ?" in page
    assert 'aria-invalid="true"' in page and f'value="{top_id}"' in page
    long_text = "Moi, " + "oui " * 5000
    too_long = client.post(
        f"/t/{thread.id}/comments", data={"body": long_text, "parent_id": str(top_id)}, headers=FR
    )
    assert too_long.status_code == 400
    assert long_text.strip() in text(too_long).replace("\r\n", "\n")
    # a parent from another thread is not this thread's reply page
    other = make_thread(secret_circle.group, secret_circle.admin, title="Ailleurs")
    elsewhere = client.post(
        f"/t/{other.id}/comments", data={"body": "", "parent_id": str(top_id)}, headers=FR
    )
    assert elsewhere.status_code == 400 and "<h1>Répondre" not in text(elsewhere)
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 1


def test_the_reactions_page_adds_and_takes_back_without_javascript(
    client, auth, secret_circle, make_thread, comment_as, make_user
):
    thread = make_thread(secret_circle.group, secret_circle.admin)
    comment_id = comment_as(secret_circle.admin, thread, "Merci à tous")
    auth.login(secret_circle.member)
    page = text(client.get(f"/comments/{comment_id}/reactions", headers=FR))
    assert "Merci à tous" in page
    assert page.count('name="add"') == 6 and 'aria-pressed="true"' not in page
    sent = client.post(f"/comments/{comment_id}/reactions", data={"add": "🙏"})
    assert sent.headers["Location"].endswith(f"#comment-{comment_id}")
    page = text(client.get(f"/comments/{comment_id}/reactions", headers=FR))
    assert re.search(r'name="remove" value="🙏"[^>]*aria-pressed="true">🙏 1</button>', page)
    assert page.count('name="add"') == 5
    # someone outside the circle may not react
    auth.login(make_user())
    assert client.get(f"/comments/{comment_id}/reactions").status_code in (403, 404)


def test_reply_and_react_are_links_and_the_page_holds_one_form_of_each(
    client, auth, secret_circle, make_thread, comment_as
):
    """A hundred comments are not a hundred reply forms and pickers: each comment has
    links, the page one picker and one reply form (opened in place by static/app.js)."""
    thread = make_thread(secret_circle.group, secret_circle.admin)
    for i in range(12):
        comment_as(secret_circle.admin, thread, f"Commentaire {i}")
    auth.login(secret_circle.member)
    html = text(client.get(f"/t/{thread.id}", headers=FR))
    assert html.count("data-reply=") == 12 and html.count("data-react>") == 12
    assert html.count('<template id="reply-form">') == 1
    # the reply opened in place stops where the comment form does
    assert html.count('maxlength="10000"') == 2
    assert html.count('<template id="reaction-picker">') == 1
    assert html.count("<textarea") == 2  # the comment form's, the reply form's template
    assert html.count("<form") == 5  # + comment form, sign-out form, the picker's, the reply form


def test_a_comment_weighs_little_on_a_phone(client, auth, secret_circle, make_thread, comment_as):
    """Each comment adds less than 800 bytes around its text to the thread page (a
    hundred comments were 2.7 KB each, 268 KB in all)."""
    thread = make_thread(secret_circle.group, secret_circle.admin)
    auth.login(secret_circle.member)

    def size() -> int:
        return len(client.get(f"/t/{thread.id}", headers=FR).data)

    for i in range(5):
        comment_as(secret_circle.admin, thread, f"Commentaire {i}")
    few = size()
    for i in range(40):
        comment_as(secret_circle.admin, thread, f"Commentaire {i}")
    assert (size() - few) / 40 < 800


def test_a_refused_reply_in_a_closed_thread_is_not_sent_back_to_a_reply_form(
    app, client, auth, secret_circle, make_thread, comment_as
):
    """The reply page of a closed thread is a 403: an empty reply sent to it (a page
    left open while it closed) does not come back on a form that could never be sent."""
    from app.threads.services import set_closed

    thread = make_thread(secret_circle.group, secret_circle.admin)
    top_id = comment_as(secret_circle.admin, thread, "Qui peut dimanche ?")
    with app.app_context():
        set_closed(db.session.get(Thread, thread.id), True, now=utcnow())
        db.session.commit()
    auth.login(secret_circle.member)
    assert client.get(f"/comments/{top_id}/reply").status_code == 403
    refused = client.post(
        f"/t/{thread.id}/comments", data={"body": " ", "parent_id": str(top_id)}, headers=FR
    )
    assert refused.status_code == 400
    page = text(refused)
    assert "<h1>Répondre" not in page and "Envoyer la réponse" not in page
    assert "Cette discussion est fermée" in page


def test_no_react_link_under_a_comment_that_shows_every_reaction(
    app, client, auth, secret_circle, make_thread, comment_as
):
    """Its six reactions are buttons already: «React» would open an empty picker."""
    from app.auth.models import User
    from app.threads.models import REACTIONS
    from app.threads.services import add_reaction

    thread = make_thread(secret_circle.group, secret_circle.admin)
    full = comment_as(secret_circle.member, thread, "Tout le monde aime")
    other = comment_as(secret_circle.member, thread, "Pas encore")
    with app.app_context():
        for emoji in REACTIONS:
            add_reaction(
                db.session.get(Comment, full),
                user=db.session.get(User, secret_circle.admin.id),
                emoji=emoji,
            )
        db.session.commit()
    auth.login(secret_circle.member)
    html = text(client.get(f"/t/{thread.id}", headers=FR))
    article = html[html.index(f'id="comment-{full}"') : html.index(f'id="comment-{other}"')]
    assert "data-react>" not in article
    assert article.count('name="add" value=') == 6  # each one its button
    assert f'href="/comments/{full}/edit"' in article  # the author's links stay
    assert f'href="/comments/{other}/reactions" data-react>' in html
