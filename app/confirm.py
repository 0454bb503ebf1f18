"""A confirmation step before a destructive act, that works without JavaScript.

The pattern: the page offers a plain link (``confirm_link`` in ``templates/_forms.html``)
to the act's own address; a GET there shows ``templates/_confirm.html`` (what will
happen, a button that POSTs to the same address, and a way back to where the person
was); the POST does it. Nothing is written on the GET, a reload shows the question
again, and the way back is ``?next=`` when it stays on this site.
"""

from __future__ import annotations

from flask import render_template, request

from .web import safe_next


def back_to(default: str) -> str:
    """Where the person came from (``next`` in the query or the form, on this site only),
    else ``default``."""
    return safe_next(request.values.get("next"), default)


def confirmation_page(
    *,
    title: str,
    question: str,
    confirm_label: str,
    back: str,
    details: list[str] | tuple[str, ...] = (),
    action: str | None = None,
    refusal: str | None = None,
):
    """The page asking to confirm an act: its ``title``, the ``question``, what follows
    (``details``), a button labelled ``confirm_label`` that POSTs to ``action`` (this
    address by default) and a link ``back``. With ``refusal``, the act is not allowed:
    the page says why and offers only the way back."""
    return render_template(
        "_confirm.html",
        title=title,
        question=question,
        details=list(details),
        confirm_label=confirm_label,
        action=action or request.path,
        back=back,
        refusal=refusal,
    )
