"""The learner's dashboard: their courses, then what other areas show there.

Areas above learning (certificates, say) register a section: a template partial and a
function loading what it shows for the signed-in learner, in a fixed number of queries. The
dashboard renders them in registration order and never names one.

They may also register a course note: what they know about each of the learner's courses
(the capstone's state, the certificate), shown in the course's card on the dashboard and on
the course's home page. Its loader gets every enrolment shown at once (as plain values on the
dashboard: seasons.enrollments.Place) and answers in a fixed number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.core.db import read_rows


@dataclass(frozen=True)
class DashboardSection:
    name: str
    template: str  # gets `section`: what `load` returned
    load: Callable[[Any], Any]  # (user) -> what the template shows; falsy: nothing to show
    # Optional: an SQL EXISTS over the person (`bindparam("user")`) saying whether `load` may
    # find anything. The dashboard asks every section's in one statement and loads only those
    # that may: most learners hold no certificate and coordinate nothing, and each area that
    # adds a section would otherwise add a statement to every learner's dashboard.
    present: Any = None


@dataclass(frozen=True)
class CourseNote:
    name: str
    template: str  # gets `note`: what `load` returned for the enrolment, and `course`
    # (places: seasons.enrollments.Place on the dashboard, an Enrollment with its course, season
    # and cohort on a course's home; both read the same) -> {enrolment id: what to show}
    load: Callable[[list], dict[int, Any]]


_SECTIONS: dict[str, DashboardSection] = {}
_NOTES: dict[str, CourseNote] = {}


def register_section(section: DashboardSection) -> DashboardSection:
    _SECTIONS[section.name] = section
    return section


def register_course_note(note: CourseNote) -> CourseNote:
    _NOTES[note.name] = note
    return note


def sections_for(user) -> list[tuple[str, Any]]:
    """(template, what it shows) for each registered section that has something to show: one
    statement asks the sections that say how (`present`), then those that may are loaded."""
    asked = _present(user)
    shown = []
    for section in _SECTIONS.values():
        if section.name in asked and not asked[section.name]:
            continue
        found = section.load(user)
        if found:
            shown.append((section.template, found))
    return shown


_ASKED: dict[tuple[str, ...], Any] = {}  # the statement for each set of sections, built once


def _present(user) -> dict[str, bool]:
    """{section name: whether it may have something} for the sections that say how."""
    names = tuple(name for name, section in _SECTIONS.items() if section.present is not None)
    if not names:
        return {}
    statement = _ASKED.get(names)
    if statement is None:
        statement = _ASKED[names] = select(*(_SECTIONS[name].present.label(name) for name in names))
    row = read_rows(statement, {"user": user.id}).one()
    return {name: bool(value) for name, value in zip(names, row, strict=True)}


def notes_for(enrollments: list) -> dict[int, list[tuple[CourseNote, Any]]]:
    """{enrolment id: [(note, what it shows)]} for every registered note with something to
    show, in registration order."""
    shown: dict[int, list[tuple[CourseNote, Any]]] = {e.id: [] for e in enrollments}
    if not enrollments:
        return shown
    for note in _NOTES.values():
        for enrollment_id, found in note.load(enrollments).items():
            if found and enrollment_id in shown:
                shown[enrollment_id].append((note, found))
    return shown
