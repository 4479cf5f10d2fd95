"""Participation figures: who took part, from where, and how far they got."""
