"""Chat rooms and signed hooks a group's admins connect: what happens in the group,
posted by the outbox (never a support request's message).

``models`` (the ``webhooks`` table), ``ssrf`` (which addresses may be posted to),
``formats`` (each receiver's body, pure), ``services`` (connecting, disabling, writing
posts to the outbox), ``subscribers`` (which event becomes which post), ``sender`` (the
outbox's ``webhook`` channel), ``views`` (the admins' pages), ``api``.
"""

from flask import Blueprint

bp = Blueprint("webhooks", __name__)
