"""URL converters."""

from werkzeug.routing import IntegerConverter

#: the largest id a database column holds (a 32-bit INTEGER on PostgreSQL)
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` that answers 404 for numbers no row can have, instead of letting
    the database overflow (a 500)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
