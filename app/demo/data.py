"""The demo circle: invented people and texts, written for Cercle.

"Cercle des Tilleuls" is a French-speaking support circle of six people. Its
story is inspired by the seeds (a support *system* rather than a *network*,
listening times, urgent versus important requests) but every name and
sentence here is invented. Later features add their part of the story
(polls, agreements, support requests) in ``extend_demo`` hooks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import click
import sqlalchemy as sa

from ..auth.models import User
from ..auth.services import create_user
from ..extensions import db
from ..groups.models import Group
from ..groups.services import accept_invitation, create_group, create_invitation
from ..threads.services import add_comment, set_closed, set_pinned, start_thread
from ..timeutil import utcnow

DEMO_HANDLE = "tilleuls"
DEMO_PASSWORD = "cercle-demo"  # noqa: S105 - published in the README for the demo

PEOPLE = [
    ("claire", "Claire Vasseur", "claire@exemple.org"),
    ("malik", "Malik Benali", "malik@exemple.org"),
    ("helene", "Hélène Roux", "helene@exemple.org"),
    ("tomas", "Tomás Ferreira", "tomas@exemple.org"),
    ("odile", "Odile Marchand", "odile@exemple.org"),
    ("yannick", "Yannick Le Goff", "yannick@exemple.org"),
]

DESCRIPTION = """\
Nous sommes six personnes qui avons décidé de **nous soutenir mutuellement**,
de façon choisie et organisée plutôt qu'au hasard des disponibilités.

- un lieu pour parler de ce que nous vivons et de ce dont nous avons besoin ;
- des accords que nous décidons ensemble, par consentement, et que nous revoyons ;
- des temps d'écoute réguliers, et de l'aide quand c'est urgent.

Nous nous retrouvons en vrai une fois par mois, chez l'un ou l'autre.
"""

THREADS = [
    {
        "author": "claire",
        "days_ago": 40,
        "title": "Réseau de soutien ou système de soutien : où en sommes-nous ?",
        "body": (
            "Lors de l'atelier de mars, on nous a parlé de la différence entre un *réseau* "
            "(des personnes qu'on peut appeler, et quelqu'un répond souvent) et un *système* "
            "(un groupe qui s'est donné une intention commune et qui en parle régulièrement).\n\n"
            "J'aimerais qu'on prenne le temps de dire ce que chacun·e de nous attend de ce cercle. "
            "Qu'est-ce qui ferait, pour vous, que ce soit un vrai système ?"
        ),
        "comments": [
            (
                "malik",
                39,
                None,
                "Pour moi, la différence c'est qu'on **se parle de nos accords**. "
                "Dans un réseau, personne ne sait ce que l'autre attend. Ici on peut l'écrire.",
            ),
            (
                "helene",
                39,
                0,
                "D'accord avec toi, Malik. J'ajouterais : savoir que je peux demander "
                "sans devoir rendre tout de suite. Ça m'enlève un poids.",
            ),
            (
                "tomas",
                38,
                None,
                "J'ai connu un groupe de messagerie pour l'écoute : au début ça "
                "marchait, puis les demandes se sont taries parce qu'on ne se voyait plus. "
                "Je crois qu'il nous faut aussi des moments sans demande particulière.",
            ),
            (
                "odile",
                37,
                2,
                "Oui ! Un temps de papotage régulier, même court. @claire, on pourrait "
                "le proposer pour la rencontre du mois ?",
            ),
            ("claire", 37, 2, "Bonne idée, je le note pour l'ordre du jour."),
        ],
    },
    {
        "author": "malik",
        "days_ago": 20,
        "title": "Nos temps d'écoute : comment on s'organise ?",
        "body": (
            "Je voudrais avoir **deux temps d'écoute par semaine**. Quelques idées pour que ça "
            "reste léger pour tout le monde :\n\n"
            "1. toujours vérifier que l'autre est disponible avant de commencer ;\n"
            "2. distinguer ce qui est *urgent* de ce qui est *important* ;\n"
            "3. si je ne demande rien pendant trois semaines, qu'on me relance.\n\n"
            "Qu'en pensez-vous ? Si ça vous va, j'en ferai une proposition d'accord."
        ),
        "comments": [
            (
                "helene",
                19,
                None,
                "Le point 2 me parle. Parfois je veux juste fêter une bonne "
                "nouvelle tout de suite : c'est urgent, mais pas grave si personne n'est libre.",
            ),
            (
                "yannick",
                18,
                None,
                "Je suis nouveau ici : est-ce que je peux écouter sans "
                "forcément demander moi-même ?",
            ),
            (
                "malik",
                18,
                1,
                "Bien sûr, Yannick. Pour moi la réciprocité n'est pas obligatoire : "
                "chacun donne et reçoit selon ses ressources.",
            ),
            (
                "tomas",
                17,
                None,
                "Pour la relance, trois semaines me semble bien. Je préfère le "
                "téléphone ou une visio Jitsi.",
            ),
        ],
    },
    {
        "author": "helene",
        "days_ago": 39,
        "title": "Bienvenue à Yannick",
        "body": "Yannick nous rejoint ce mois-ci. Un petit mot pour l'accueillir ?",
        "comments": [
            ("odile", 39, None, "Bienvenue Yannick, ravie de te compter parmi nous."),
            ("yannick", 38, None, "Merci à toutes et tous, je me sens déjà bien accueilli."),
        ],
        "pinned": True,
    },
    {
        "author": "odile",
        "days_ago": 30,
        "title": "Date de la rencontre de printemps",
        "body": "Samedi 14 ou dimanche 15 ? Répondez ici, je clos la discussion vendredi.",
        "comments": [
            ("claire", 29, None, "Samedi me va mieux."),
            ("tomas", 29, None, "Samedi aussi."),
            ("odile", 27, None, "Ce sera donc samedi 14, chez moi. Merci !"),
        ],
        "closed": True,
    },
]


LISTENING_THREAD = "Nos temps d'écoute : comment on s'organise ?"
#: how long before the demo's "now" the listening thread's story is set: «Nos accords
#: d'écoute» (and its v2) were adopted over three weeks ago, so that a check-in is due
STORY_SHIFT = timedelta(days=22)

#: the closed proposal's stances: (person, option, reason, days ago)
PROPOSAL_STANCES = [
    ("malik", "agree", "C'est ce que je demandais : merci d'avoir pris le temps d'en parler.", 14),
    ("claire", "agree", "Deux temps par semaine me semblent tenables pour le cercle.", 14),
    ("helene", "agree", "La relance me rassure : je n'ose pas toujours demander.", 13),
    ("tomas", "agree", "D'accord, à condition qu'on puisse le faire au téléphone.", 12),
    (
        "odile",
        "abstain",
        "Je ne suis pas sûre d'être assez disponible en ce moment, je laisse le groupe décider.",
        11,
    ),
    (
        "yannick",
        "disagree",
        "Trois semaines avant de relancer, ça me paraît long ; je préférerais deux.",
        9,
    ),
]


LISTENING_AGREEMENT = "Nos accords d'écoute"

LISTENING_BODY = """\
Nous nous soutenons par l'écoute, **sans obligation de réciprocité** : chacun·e
donne et reçoit selon ses ressources du moment.

- **La disponibilité d'abord** : avant de commencer, on demande toujours à l'autre
  s'il ou elle est disponible. Un « pas maintenant » est une réponse bienvenue.
- **Deux temps d'écoute par semaine** : chacun·e peut en demander deux.
- **La relance** : si quelqu'un n'a rien demandé depuis trois semaines, on prend
  de ses nouvelles, simplement.
- **Urgent ou important** : on précise si une demande est urgente, importante,
  les deux, ou ni l'un ni l'autre.

Nous nous retrouvons par téléphone, en visio sur Jitsi ou en personne.
"""

LISTENING_RULES = {
    "reciprocity": "not_required",
    "availability_check": True,
    "relance_after_days": 21,
    "rhythm_per_week": 2,
    "channels": ["téléphone", "Jitsi", "en personne"],
}

URGENT_SENTENCE = (
    "\nQuand une demande est à la fois urgente et importante, on essaie d'y répondre "
    "**dans la demi-heure** ; passé ce délai, tout le cercle est prévenu.\n"
)

#: the amendment (v2): (person, option, reason, days ago)
AMENDMENT_STANCES = [
    ("helene", "agree", "Oui : la demi-heure me rassure pour les soirs difficiles.", 6),
    ("claire", "agree", "Simple et clair.", 6),
    ("malik", "agree", "Merci Hélène d'avoir porté cette proposition.", 5),
    ("tomas", "agree", "D'accord.", 5),
    ("yannick", "agree", "", 5),
    ("odile", "abstain", "Je ne réponds pas toujours vite, mais je ne veux pas bloquer.", 4),
]

#: the blocked proposal (reciprocity required again): (person, option, reason, days ago)
BLOCKED_STANCES = [
    ("odile", "agree", "Je crois qu'on s'engage mieux quand on donne aussi.", 3),
    ("tomas", "agree", "Pourquoi pas, si c'est souple.", 3),
    ("claire", "abstain", "Je comprends les deux positions.", 2),
    (
        "malik",
        "block",
        "Notre accord dit l'inverse, et c'est ce qui m'a permis de demander sans me sentir "
        "redevable. Rendre la réciprocité obligatoire m'exclurait en ce moment.",
        2,
    ),
    (
        "yannick",
        "block",
        "Je viens d'arriver et je ne peux pas encore écouter les autres : je ne pourrais "
        "plus recevoir de soutien.",
        2,
    ),
    ("helene", "disagree", "Je préfère qu'on en reparle à la rencontre d'automne.", 2),
]


def _cast(poll, people: dict[str, User], stances, now: datetime) -> None:
    from ..polls.services import cast_stance

    for key, option, reason, days_ago in stances:
        cast_stance(
            poll,
            people[key],
            choice={"key": option},
            reason=reason,
            now=now - timedelta(days=days_ago, hours=2),
        )


def _add_agreement_story(
    people: dict[str, User], thread, agreement_id: int, now: datetime, story: datetime
):
    """The amendment adopted later (v2: urgent requests answered within 30 minutes,
    as of ``story``'s timeline) and a proposal blocked with its reasons (reciprocity
    required again, lately), each closed through the services as of its closing time,
    which applies the change."""
    from ..polls.services import close_if_due
    from ..proposals.services import make_proposal

    started = story - timedelta(days=7)
    amendment = make_proposal(
        thread,
        author=people["helene"],
        title="Répondre dans la demi-heure aux demandes urgentes et importantes",
        details=(
            "Je propose d'ajouter une phrase à nos accords d'écoute : une demande urgente "
            "et importante reçoit une réponse dans la demi-heure, sinon tout le cercle est "
            "prévenu."
        ),
        closing_at=story - timedelta(days=4),
        now=started,
        agreement_change={
            "action": "amend",
            "agreement_id": agreement_id,
            "base_version": 1,
            "body": LISTENING_BODY + URGENT_SENTENCE,
            "rules": {**LISTENING_RULES, "urgent_response_minutes": 30},
            "change_summary": "Les demandes urgentes et importantes : réponse dans la demi-heure.",
            "review_on": (now + timedelta(days=60)).date(),
        },
    )
    _cast(amendment, people, AMENDMENT_STANCES, story)
    close_if_due(amendment, now)

    started = now - timedelta(days=3, hours=6)
    blocked = make_proposal(
        thread,
        author=people["odile"],
        title="Rendre la réciprocité obligatoire",
        details=(
            "Je me demande si nous ne serions pas plus engagé·es en donnant **et** en "
            "recevant toutes et tous. Qu'en pensez-vous ?"
        ),
        closing_at=now - timedelta(days=1),
        now=started,
        agreement_change={
            "action": "amend",
            "agreement_id": agreement_id,
            "base_version": 2,
            "rules": {**LISTENING_RULES, "urgent_response_minutes": 30, "reciprocity": "required"},
            "change_summary": "La réciprocité devient obligatoire.",
        },
    )
    _cast(blocked, people, BLOCKED_STANCES, now)
    close_if_due(blocked, now)


def _add_polls(people: dict[str, User], thread, now: datetime, story: datetime) -> None:
    """In the listening-times thread, through the services and as of earlier times
    (``story`` is the "now" of the agreement's story, weeks ago):
    the closed proposal that adopted "Nos accords d'écoute" (six stances, outcome,
    statement), its amendment adopted later (v2), a proposal blocked with its reasons,
    and an open poll waiting for votes."""
    from ..polls.services import cast_stance, close_if_due, create_poll, set_statement
    from ..proposals.services import make_proposal, outcome_for

    # The proposal adopts the circle's first agreement; closing applies it (v1).
    proposal = make_proposal(
        thread,
        author=people["malik"],
        title="Deux temps d'écoute par semaine, et une relance après trois semaines",
        details=(
            "Je propose que nous prenions l'accord suivant :\n\n"
            "- chacun·e peut demander **deux temps d'écoute par semaine** ;\n"
            "- on vérifie toujours que l'autre est disponible avant de commencer ;\n"
            "- si quelqu'un n'a rien demandé depuis **trois semaines**, on le relance.\n\n"
            "La réciprocité n'est pas obligatoire."
        ),
        closing_at=story - timedelta(days=8),
        now=story - timedelta(days=15),
        agreement_change={
            "action": "adopt",
            "title": LISTENING_AGREEMENT,
            "body": LISTENING_BODY,
            "rules": LISTENING_RULES,
            "change_summary": "Notre premier accord d'écoute.",
        },
    )
    _cast(proposal, people, PROPOSAL_STANCES, story)
    close_if_due(proposal, now)
    set_statement(
        proposal,
        author=people["claire"],
        text=(
            "Proposition **adoptée** : quatre « d'accord », une abstention, un « pas d'accord », "
            "aucun blocage. "
            "Nous reparlerons du délai de relance (deux ou trois semaines ?) à la rencontre "
            "d'automne, comme Yannick le demande."
        ),
        review_on=(now + timedelta(days=90)).date(),
        now=story - timedelta(days=7),
    )
    _add_agreement_story(people, thread, outcome_for(proposal).agreement_id, now, story)
    tools = create_poll(
        thread,
        author=people["tomas"],
        kind="choice",
        title="Quel outil pour nos écoutes à distance ?",
        details="Deux choix au plus. Nous prendrons ce qui convient au plus grand nombre.",
        options=["Téléphone", "Jitsi (visio libre)", "Signal", "En vrai, quand c'est possible"],
        min_choices=1,
        max_choices=2,
        closing_at=(now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0),
        now=now - timedelta(days=1),
    )
    cast_stance(
        tools,
        people["tomas"],
        choice={"keys": ["o1", "o2"]},
        reason="Le téléphone d'abord, Jitsi si on veut se voir.",
        now=now - timedelta(hours=20),
    )
    cast_stance(
        tools,
        people["helene"],
        choice={"keys": ["o1", "o4"]},
        reason="",
        now=now - timedelta(hours=6),
    )


def _add_support_week(people: dict[str, User], group, now: datetime) -> None:
    """A lived week of support, through the services and as of earlier times: Malik's
    listening request that happened (Odile was available), a time he noted himself
    (his rhythm: two a week), check-ins (Odile with Hélène, Claire with Yannick, and
    Odile's and Claire's own "all is well"), Tomás due for a check-in (he has not
    asked since the agreement), Tomás busy and Yannick away, and Hélène's urgent
    request waiting for an answer."""
    from ..groups.services import current_membership, update_my_membership
    from ..support import services as support

    asked = now - timedelta(days=5, hours=3)
    malik = support.create_request(
        group,
        people["malik"],
        kind="emotional",
        urgent=True,
        important=True,
        body="Une journée lourde. J'aimerais qu'on m'écoute un moment ce soir.",
        when="ce soir après 20 h",
        channel="téléphone",
        now=asked,
    )
    support.respond(
        malik,
        people["odile"],
        available=True,
        message="Je suis disponible : je t'appelle à 20 h 30.",
        now=asked + timedelta(minutes=12),
    )
    support.close_request(
        malik, people["malik"], outcome="happened", now=asked + timedelta(hours=3)
    )
    support.log_support_time(
        group,
        people["malik"],
        at=now - timedelta(days=1, hours=3),
        note="Un café avec Tomás, qui m'a bien écouté.",
        now=now - timedelta(days=1),
    )
    support.record_check_in(
        group,
        people["odile"],
        member_id=people["helene"].id,
        note="On s'est parlé au téléphone, ça va mieux.",
        now=now - timedelta(days=4),
    )
    for key, days in (("odile", 6), ("claire", 2)):  # "all is well, ask me again later"
        support.record_check_in(
            group, people[key], member_id=people[key].id, now=now - timedelta(days=days)
        )
    support.record_check_in(
        group,
        people["claire"],
        member_id=people["yannick"].id,
        note="Premier mois dans le cercle : tout va bien, il a trouvé sa place.",
        now=now - timedelta(days=3),
    )
    update_my_membership(
        current_membership(group, people["tomas"].id), availability="busy", now=now
    )
    update_my_membership(
        current_membership(group, people["yannick"].id),
        availability="away",
        availability_until=(now + timedelta(days=5)).date(),
        now=now,
    )
    support.create_request(
        group,
        people["helene"],
        kind="emotional",
        urgent=True,
        important=True,
        body="Une soirée difficile. J'aimerais parler à quelqu'un, même un quart d'heure.",
        when="ce soir",
        channel="Jitsi",
        now=now - timedelta(minutes=8),
    )


def load_demo(now: datetime | None = None) -> bool:
    """Create the demo circle once; return False when it is already there."""
    now = now or utcnow()
    if db.session.scalar(sa.select(Group.id).where(Group.handle == DEMO_HANDLE)):
        click.echo(f"The demo circle is already loaded: /g/{DEMO_HANDLE}")
        return False
    people: dict[str, User] = {}
    for key, name, email in PEOPLE:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = create_user(
                email=email, name=name, password=DEMO_PASSWORD, locale="fr", timezone="Europe/Paris"
            )
            # They came through emailed invitations, whose links confirm the address.
            user.email_verified_at = now - timedelta(days=60)
        people[key] = user
    group = create_group(
        creator=people["claire"],
        name="Cercle des Tilleuls",
        handle=DEMO_HANDLE,
        description=DESCRIPTION,
        privacy="secret",
        now=now - timedelta(days=60),
    )
    for key, *_rest in PEOPLE[1:]:
        # Claire invited each address; each person accepted (nobody is added unasked).
        joined = now - timedelta(days=40 if key == "yannick" else 58)
        invitation, _secret = create_invitation(
            group, actor=people["claire"], email=people[key].email, now=joined - timedelta(hours=5)
        )
        accept_invitation(invitation, people[key], now=joined)
    for spec in THREADS:
        # The listening thread and its agreement's story happened weeks before this one.
        base = now - STORY_SHIFT if spec["title"] == LISTENING_THREAD else now
        started = base - timedelta(days=spec["days_ago"])
        thread = start_thread(
            group,
            author=people[spec["author"]],
            title=spec["title"],
            body=spec["body"],
            now=started,
        )
        created = []
        for author, days_ago, reply_to, text in spec["comments"]:
            parent_id = created[reply_to].id if reply_to is not None else None
            comment = add_comment(
                thread,
                author=people[author],
                body=text,
                parent_id=parent_id,
                now=base - timedelta(days=days_ago) + timedelta(minutes=37 * len(created)),
            )
            created.append(comment)
        if spec.get("pinned"):
            set_pinned(thread, True, now=started)
        if spec.get("closed"):
            set_closed(thread, True, now=now - timedelta(days=26))
        if spec["title"] == LISTENING_THREAD:
            _add_polls(people, thread, now, base)
    _add_support_week(people, group, now)
    db.session.commit()
    click.echo(
        f"Demo circle loaded: /g/{DEMO_HANDLE}. Sign in as claire@exemple.org "
        f"(facilitator) or malik@exemple.org, password {DEMO_PASSWORD}"
    )
    return True
