"""`flask survey ...`: reminders now (the schedule sends them weekly: app/survey/scheduled.py)."""

from datetime import date

import click
from flask.cli import with_appcontext

from app.core.commands import one_commit
from app.survey import services


@click.group("survey", help="The network survey: reminders.")
def survey_cli():
    pass


@survey_cli.command("remind")
@with_appcontext
def remind():
    """Mail the coordinators of institutions that have not answered an open survey."""
    with one_commit(services.SurveyError) as report:
        for survey, sent in services.remind_open_surveys(date.today()):
            report(f"{survey.title}: {sent} reminder(s) sent.")
