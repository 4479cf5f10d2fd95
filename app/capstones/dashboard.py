"""Each tutor-led course's capstone project on the learner's dashboard card and course page
(a course note: app/learning/dashboard.py): its state and, before it is sent, its deadline."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, select

from app.capstones.item_kinds import CAPSTONE
from app.capstones.models import Submission, SubmissionState
from app.catalog.models import Item
from app.core.db import read_rows, utcnow
from app.learning.dashboard import CourseNote, register_course_note
from app.seasons.models import Enrollment


@dataclass(frozen=True)
class CapstoneNote:
    """What the card says about the learner's project."""

    item_slug: str
    state: SubmissionState  # DRAFT also when nothing was saved yet
    due_on: date | None  # the cohort's deadline, or the learner's extension

    @property
    def days_left(self) -> int | None:
        """Days until the deadline (0: today; negative: past), read as a calendar day."""
        return None if self.due_on is None else (self.due_on - utcnow().date()).days


# Built once: every dashboard and course home page runs it. Each place whose course has a
# capstone item, with the learner's project on it beside (None before one was saved).
_CAPSTONES_OF_PLACES = (
    select(
        Enrollment.id.label("enrollment_id"),
        Item.slug,
        Submission.id.label("submission_id"),
        Submission.state,
        Submission.extended_until,
    )
    .join(Item, (Item.course_id == Enrollment.course_id) & (Item.kind == CAPSTONE))
    .outerjoin(
        Submission,
        (Submission.item_id == Item.id) & (Submission.enrollment_id == Enrollment.id),
    )
    .where(Enrollment.id.in_(bindparam("places", expanding=True)))
)


def capstone_notes(enrollments: list) -> dict[int, CapstoneNote]:
    """{enrolment id: its capstone's note} for enrolments with a cohort place in a course with a
    capstone, in one query; the cohorts come loaded with the enrolments."""
    placed = [e for e in enrollments if e.cohort_id is not None]
    if not placed:
        return {}
    found = {
        row.enrollment_id: row
        for row in read_rows(_CAPSTONES_OF_PLACES, {"places": [e.id for e in placed]})
    }
    notes = {}
    for enrollment in placed:
        row = found.get(enrollment.id)
        if row is None or not enrollment.cohort.is_open_for_work:
            continue  # no capstone, or not open yet: the card says when the course opens
        due = enrollment.cohort.capstone_due_on
        if row.extended_until is not None:
            due = max(due, row.extended_until) if due else row.extended_until
        notes[enrollment.id] = CapstoneNote(
            item_slug=row.slug,
            state=row.state if row.submission_id is not None else SubmissionState.DRAFT,
            due_on=due,
        )
    return notes


register_course_note(
    CourseNote(name="capstone", template="capstones/_course_note.html", load=capstone_notes)
)
