"""Periodic work: one command, safe to run from several machines at once."""
