"""Polls and stances: the consent proposal and the other kinds, their results and closing."""
