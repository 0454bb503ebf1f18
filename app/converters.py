"""URL converters: what a path part may be, so that nothing a database cannot hold
reaches a query (a 404, never a 405 or 500)."""

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, UnicodeConverter

#: the largest id a database column holds (a 32-bit INTEGER on PostgreSQL)
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>``: ASCII digits, and 404 for numbers no row can have, instead of
    letting the database overflow (a 500).

    Werkzeug's own bounds raise ``ValidationError`` once the rule is chosen, which
    becomes a 405 when another rule shares the path with other methods (``GET`` and
    ``PATCH /api/v1/agreements/<id>``): out of range is "no such row", a 404 here.
    """

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_ID)) or int(value) > self.max or int(value) < 1:
            raise NotFound()
        return super().to_python(value)


#: what a text part of a path may not hold: a slash, controls (NUL among them: a 500 on
#: PostgreSQL) and lone surrogates
_TEXT_PART = "[^/\x00-\x1f\x7f\ud800-\udfff]"


class TextConverter(UnicodeConverter):
    """The default converter (``<handle>``, ``<token>``) without NUL, controls or lone
    surrogates: a path holding one matches no route (404)."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):  # noqa: A002
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", _TEXT_PART)
