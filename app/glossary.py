"""One vocabulary, in English and French, for every screen, email and error.

Translators follow this table; ``tests/test_glossary.py`` checks the French
catalog against it. Loomio's French mixes "Contre", "Bloc" and "Autorisation"
for the same ideas: ours does not.
"""

GLOSSARY: dict[str, str] = {
    "support system": "système de soutien",
    "circle": "cercle",
    #: the group a person belongs to is called a circle in French, on buttons as in
    #: texts: one word for one thing («Quitter ce cercle», not «Quitter ce groupe»)
    "group": "cercle",
    "thread": "discussion",
    "comment": "commentaire",
    "reply": "réponse",
    "proposal": "proposition",
    "poll": "sondage",
    "stance": "position",
    "agree": "d'accord",
    "abstain": "abstention",
    "disagree": "pas d'accord",
    "block": "blocage",
    "agreement": "accord",
    "version": "version",
    "repeal": "abrogation",
    "active rules": "règles en vigueur",
    "support request": "demande de soutien",
    "listening": "écoute",
    "check-in": "relance",
    "reciprocity": "réciprocité",
    "member": "membre",
    "admin": "admin",
    "facilitator": "facilitateur·rice",
    "invitation": "invitation",
    "handle": "identifiant",
    "token": "jeton",
    "sign in": "se connecter",
    "sign up": "créer un compte",
}

#: English words whose French translation must use the glossary's word
#: (checked in the catalog: a message that names one names the other).
CHECKED_TERMS: dict[str, str] = {
    "thread": "discussion",
    "comment": "commentaire",
    "group": "cercle",
    "circle": "cercle",
    "proposal": "proposition",
    "agreement": "accord",
    "reciprocity": "réciprocité",
    "invitation": "invitation",
    "token": "jeton",
}
