"""Refusal is one path: how a rule that says no undoes what the request had started.

Services check rules and raise a `Refusal` (each area subclasses it: `CohortFull`,
`NoAttemptsLeft`, `InvalidSeason`...) with a message for the person. While a request is
handled, raising one rolls back at once everything the request has written so far, whoever
catches it and however the view then answers (a form with the message, a flash and a
redirect, an error page): a refused action changes nothing. A view may still write after
catching it (a sign-in refused for an unconfirmed email sends a new confirmation link), and
that is kept.

The request boundary (`app/__init__.py`) commits only answers below 400, so a 4xx answer never
keeps anything either; a refusal nobody catches becomes a 409 page with its message. Outside
requests, `flask` commands refuse through `app.core.commands.one_commit`, and background jobs
roll back any task that raises (app/core/jobs.py).
"""

from flask import has_request_context

from app.extensions import db


class Refusal(Exception):
    """A rule refused the action; `str(error)` is the reason, in the person's language."""

    status = 409  # the HTTP status of the page shown when no view catches it

    def __init__(self, *args):
        super().__init__(*args)
        if has_request_context():
            db.session.rollback()
