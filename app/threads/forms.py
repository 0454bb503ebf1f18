"""Thread and comment forms: they validate and convert; the services keep the rules."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..converters import MAX_ID
from ..errors import ValidationFailed
from ..forms import Form
from ..textcheck import whole_number
from .services import MAX_BODY, MAX_COMMENT, MAX_TITLE

#: shown under every Markdown textarea
MARKDOWN_HINT = _l(
    "Markdown: **bold**, *italic*, [link](https://…). To mention someone: @ and their name."
)


class ThreadForm(Form):
    """Start a thread, or edit its title and context."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    body = TextAreaField(
        _l("Context"), validators=[Optional(), Length(max=MAX_BODY)], render_kw={"rows": 8}
    )


class CommentForm(Form):
    """A comment, or a reply when ``parent_id`` names the comment answered."""

    body = TextAreaField(
        _l("Your comment"),
        validators=[DataRequired(), Length(max=MAX_COMMENT)],
        render_kw={"rows": 5},
    )
    parent_id = HiddenField()

    def validate_parent_id(self, field) -> None:
        """The page sets it: anything but a comment id is a crafted request, a 400."""
        if field.data and whole_number(field.data, min=1, max=MAX_ID) is None:
            raise ValidationFailed(fields={"parent_id": _("Not a valid comment.")})

    @property
    def parent(self) -> int | None:
        return whole_number(self.parent_id.data, min=1, max=MAX_ID)


class CommentEditForm(Form):
    """New text for one's own comment."""

    body = TextAreaField(
        _l("Comment"), validators=[DataRequired(), Length(max=MAX_COMMENT)], render_kw={"rows": 8}
    )
