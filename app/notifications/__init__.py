"""In-app notifications (email and webhooks come with the notifications issue).

``subscribers.py`` is the list of who is told what; ``services.py`` stores,
lists and reads notifications.
"""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
