"""`flask survey ...`: reminders, for a daily or weekly cron line."""

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.core.commands import one_commit
from app.extensions import db
from app.survey import services
from app.survey.models import Survey, SurveyState


@click.group("survey", help="The network survey: reminders.")
def survey_cli():
    pass


@survey_cli.command("remind")
@with_appcontext
def remind():
    """Mail the coordinators of institutions that have not answered an open survey."""
    today = date.today()
    surveys = db.session.scalars(select(Survey).where(Survey.state == SurveyState.OPEN)).all()
    with one_commit(services.SurveyError) as report:
        for survey in surveys:
            if survey.accepts_answers(today):
                sent = services.remind(survey, today)
                report(f"{survey.title}: {sent} reminder(s) sent.")
