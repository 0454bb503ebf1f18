"""Agreement forms: an admin's review date."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms.validators import Optional

from ..forms import Form


class ReviewDateForm(Form):
    """An admin's review date for an agreement (empty: no review date of its own)."""

    review_on = DateField(_l("Review date"), validators=[Optional()])
