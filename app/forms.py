"""The base of every page form: input no field may hold is refused in one place."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeField,
    IntegerField,
    PasswordField,
    SelectFieldBase,
    StringField,
    TextAreaField,
)

from .errors import ValidationFailed
from .textcheck import INT_MAX, INT_MIN, text_problem, whole_number
from .timeutil import bounds_problem


class Form(FlaskForm):
    """A ``FlaskForm`` that checks, before its own validators run:

    - one-line text fields (names, titles, handles, addresses: every ``StringField``
      that is not a text area or a password) hold no control character. A browser's
      one-line input cannot hold a line break, so one is a crafted request: a 400
      naming the field (as in the API). NUL and the other controls in any field are
      refused earlier, for every request (``textcheck.refuse_bad_request_text``);
    - whole numbers, typed or chosen by id (``coerce=int``), are ASCII digits a database
      column holds (``²`` is no number);
    - days and times are between 1900 and 2999, so that converting or adding to them
      never overflows.

    A number or a date out of range is an error next to its field, as a typo would be;
    ``out_of_range`` gives a field's own (before, after) wording where it has a narrower
    rule (a closing time).
    """

    #: field name -> (message before the range, message after it)
    out_of_range: dict[str, tuple] = {}

    def validate(self, extra_validators=None):
        crafted, out_of_range = {}, {}
        for field in self:
            if isinstance(field, StringField) and not isinstance(
                field, TextAreaField | PasswordField
            ):
                if isinstance(field.data, str):
                    problem = text_problem(field.data, single_line=True)
                    if problem:
                        crafted[field.name] = problem
            elif (
                isinstance(field, IntegerField)
                and not field.process_errors
                and field.raw_data
                and field.raw_data[0]
            ):
                if whole_number(field.raw_data[0], min=INT_MIN, max=INT_MAX) is None:
                    out_of_range[field] = _l(
                        "Must be a whole number between %(min)s and %(max)s.",
                        min=INT_MIN,
                        max=INT_MAX,
                    )
            elif (
                isinstance(field, SelectFieldBase)
                and getattr(field, "coerce", None) is int
                and any(
                    whole_number(raw, min=INT_MIN, max=INT_MAX) is None
                    for raw in field.raw_data or ()
                )
            ):
                # checkboxes of ids (voters, supporters): ``int`` takes ``١٢`` and numbers
                # past 64 bits, which the database cannot compare with an id
                out_of_range[field] = _l(
                    "Must be a whole number between %(min)s and %(max)s.",
                    min=INT_MIN,
                    max=INT_MAX,
                )
            elif isinstance(field, DateField | DateTimeField) and isinstance(
                field.data, date | datetime
            ):
                problem = bounds_problem(field.data, self.out_of_range.get(field.name))
                if problem:
                    out_of_range[field] = problem
        if crafted:
            raise ValidationFailed(fields=crafted)
        if out_of_range:
            for field in self:
                field.errors = list(field.process_errors)
            for field, problem in out_of_range.items():
                field.errors.append(str(problem))
            return False
        return super().validate(extra_validators=extra_validators)
