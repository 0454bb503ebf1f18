"""How long each text may be: one table for the pages' forms, the API's schemas
and the services, so that a page and the API refuse the same input.

The limits are far above what a circle writes (a long comment is a few thousand
characters) and low enough that rendering the worst Markdown at the limit stays
quick (``bench/markdown.py``). The request body as a whole is capped by
``MAX_CONTENT_LENGTH`` (``app/config.py``).
"""

from __future__ import annotations

#: a thread's, poll's or agreement's title; a poll option's name (``String(200)``)
TITLE = 200
#: a person's display name, a circle's name, an API token's name (``String(100)``)
NAME = 100
#: an email address (RFC 5321, ``String(254)``)
EMAIL = 254
#: a password (hashed, so only to bound the hashing)
PASSWORD = 200

#: Markdown: a comment, or a reply
COMMENT = 10_000
#: Markdown: a thread's context, a poll's details, an agreement's text, a circle's description
DOCUMENT = 20_000
#: Markdown: the outcome statement that closes a poll
STATEMENT = 10_000

#: a reason given with a stance
REASON = 500
#: what a proposal changes, in a few words
CHANGE_SUMMARY = 500
#: a note with an invitation, a poll reminder's message
MESSAGE = 1_000

#: the largest request body accepted, in bytes: a document at its limit written
#: in four-byte characters and escaped as JSON is well under it
REQUEST_BODY = 1024 * 1024

#: a support request: what is asked (Markdown), when, by which channel
SUPPORT_BODY = 2_000
SUPPORT_WHEN = 200
SUPPORT_CHANNEL = 100
#: an answer's message, a private note on a check-in
SUPPORT_MESSAGE = 500
SUPPORT_NOTE = 2_000
