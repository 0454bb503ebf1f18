"""Proposals: a consent poll that carries one agreement change (adopt, amend, repeal).

``consent`` decides (pure); ``services`` attaches the change to a poll and,
from the polls' ``on_poll_closed`` hook, stores the outcome and applies the
change once, in the closing transaction.
"""
