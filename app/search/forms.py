"""The search box (a GET form: it changes nothing, so it needs no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SearchField
from wtforms.validators import Length

from ..forms import Form
from .query import MAX_QUERY


class SearchForm(Form):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Search this circle"),
        validators=[
            Length(max=MAX_QUERY, message=_l("At most %(max)s characters.", max=MAX_QUERY))
        ],
    )
