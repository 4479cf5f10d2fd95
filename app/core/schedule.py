"""Recurring work on one schedule kept in the code, with no crontab.

Areas register entries (`every(...)`, `daily_at(...)`): a registered background task
(app/core/jobs.py) and when it is due. `enqueue_due()` asks for each due entry's task once,
however many processes call it at the same moment: each entry's next run is a row
(`ScheduleRun`) moved forward by one guarded UPDATE, so only one caller wins it. It is called
by every `flask jobs worker` at start and every JOBS_DISPATCH_SECONDS (with Redis), and,
without Redis (`make run`), by a thread of the web process itself (`start_in_process`).
`flask jobs schedule` lists the entries and `flask jobs run-due` runs what is due now.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import Flask
from sqlalchemy import update

from app.core.db import insert_or_ignore, utcnow
from app.core.models import ScheduleRun
from app.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    name: str  # also the row's key
    task: str  # a task registered with @jobs.task
    interval: timedelta
    at: time | None = None  # daily entries: the UTC time of day they run

    def first_due(self, now: datetime) -> datetime:
        """When a new entry first runs: its next time of day, or now."""
        if self.at is None:
            return now
        due = datetime.combine(now.date(), self.at, tzinfo=now.tzinfo)
        return due if due > now else due + timedelta(days=1)

    def next_after(self, due: datetime, now: datetime) -> datetime:
        """The next run after `due`, skipping runs missed while nothing was running."""
        following = due + self.interval
        while following <= now:
            following += self.interval
        return following


SCHEDULE: dict[str, Entry] = {}


def every(name: str, task: str, interval: timedelta) -> Entry:
    """Run `task` every `interval` (first at once)."""
    SCHEDULE[name] = Entry(name, task, interval)
    return SCHEDULE[name]


def daily_at(name: str, task: str, at: time, *, every_days: int = 1) -> Entry:
    """Run `task` at `at` (UTC) once a day, or every `every_days` days (first at the next
    `at` after the schedule first looks)."""
    SCHEDULE[name] = Entry(name, task, timedelta(days=every_days), at)
    return SCHEDULE[name]


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Ask for the task of every entry that is due (committed); the names asked for."""
    from app.core import jobs

    now = now or utcnow()
    asked = []
    for entry in SCHEDULE.values():
        insert_or_ignore(ScheduleRun, name=entry.name, due_at=entry.first_due(now))
        row = db.session.get(ScheduleRun, entry.name)
        db.session.refresh(row)
        if row.due_at > now:
            continue
        won = db.session.execute(
            update(ScheduleRun)
            .where(ScheduleRun.name == entry.name, ScheduleRun.due_at == row.due_at)
            .values(due_at=entry.next_after(row.due_at, now), last_run_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won:
            jobs.enqueue(entry.task)
            asked.append(entry.name)
    db.session.commit()
    return asked


def enqueue_due_quietly(app: Flask) -> None:
    with app.app_context():
        try:
            enqueue_due()
        except Exception:
            log.exception("schedule: asking for due work failed")
            db.session.rollback()
        finally:
            db.session.remove()


_started: set[int] = set()
_start_lock = threading.Lock()


def start_in_process(app: Flask, every_seconds: float = 60.0) -> bool:
    """A daemon thread of this process that runs the schedule (without Redis); once per app."""
    with _start_lock:
        if id(app) in _started:
            return False
        _started.add(id(app))

    def loop():
        stop = threading.Event()
        while True:
            enqueue_due_quietly(app)
            stop.wait(every_seconds)

    threading.Thread(target=loop, name="aula-schedule", daemon=True).start()
    return True
