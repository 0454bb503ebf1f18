"""The base of every page form: text no field may hold is refused in one place."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

from .errors import ValidationFailed
from .textcheck import text_problem


class Form(FlaskForm):
    """A ``FlaskForm`` whose one-line text fields (names, titles, handles, addresses: every
    ``StringField`` that is not a text area or a password) hold no control character.

    A browser's one-line input cannot hold a line break, so one is a crafted request:
    the answer is a 400 naming the field (as in the API), before any other check. NUL
    and the other controls in any field are refused earlier, for every request
    (``textcheck.refuse_bad_request_text``).
    """

    def validate(self, extra_validators=None):
        found = {}
        for field in self:
            if not isinstance(field, StringField) or isinstance(
                field, TextAreaField | PasswordField
            ):
                continue
            if isinstance(field.data, str):
                problem = text_problem(field.data, single_line=True)
                if problem:
                    found[field.name] = problem
        if found:
            raise ValidationFailed(fields=found)
        return super().validate(extra_validators=extra_validators)
