"""The survey on the schedule (app/core/schedule.py): a weekly reminder to the coordinators of
institutions that have not answered a survey taking answers (first at the next 09:00 UTC after
the schedule first looks, then every seven days)."""

from datetime import date, time

from app.core import jobs, schedule
from app.survey import services


@jobs.task("survey.remind")
def remind_task() -> None:
    services.remind_open_surveys(date.today())


schedule.daily_at("survey.remind", "survey.remind", time(9, 0), every_days=7)
