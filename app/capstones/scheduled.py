"""Capstone work on the schedule (app/core/schedule.py): the daily deadline reminders."""

from datetime import date, time

from app.capstones import services
from app.core import jobs, schedule


@jobs.task("capstones.remind")
def remind_task() -> None:
    """Mail learners whose capstone is due within 3 days and who sent nothing yet."""
    services.remind_due(date.today())


schedule.daily_at("capstones.remind", "capstones.remind", time(7, 0))
