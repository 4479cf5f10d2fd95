"""The gradebook's capstone columns: the project's state and its latest review's points."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.capstones.models import Review, Submission, SubmissionState
from app.capstones.services import capstone_item
from app.extensions import db
from app.seasons.gradebook import Cell, Column, ColumnGroup, register_columns


def state_label(state: SubmissionState | None) -> str:
    """How a tutor reads a project's state."""
    return {
        SubmissionState.DRAFT: _("Started, not submitted"),
        SubmissionState.SUBMITTED: _("To review"),
        SubmissionState.REVISE: _("Awaiting revision"),
        SubmissionState.PASSED: _("Passed"),
        SubmissionState.NOT_PASSED: _("Not passed"),
    }.get(state, _("Nothing yet"))


# Sorting by state puts what needs the tutor first.
_STATE_ORDER = {
    SubmissionState.SUBMITTED: 0,
    SubmissionState.REVISE: 1,
    SubmissionState.DRAFT: 2,
    SubmissionState.NOT_PASSED: 3,
    SubmissionState.PASSED: 4,
}


def _columns(cohort) -> list[Column]:
    if capstone_item(cohort.offering.course) is None:
        return []
    return [
        Column("capstone", _("Capstone project")),
        Column("capstone-points", _("Capstone points")),
    ]


def _cells(cohort, places) -> dict[int, dict[str, Cell]]:
    item = capstone_item(cohort.offering.course)
    if item is None or not places:
        return {}
    latest = (
        select(Review.submission_id, func.max(Review.id).label("review_id"))
        .group_by(Review.submission_id)
        .subquery()
    )
    found = db.session.execute(
        select(Submission.enrollment_id, Submission.state, Review.points, Review.pass_threshold)
        .outerjoin(latest, latest.c.submission_id == Submission.id)
        .outerjoin(Review, Review.id == latest.c.review_id)
        .where(
            Submission.item_id == item.id,
            Submission.enrollment_id.in_([e.id for e in places]),
        )
    )
    cells: dict[int, dict[str, Cell]] = {}
    for enrollment_id, state, points, threshold in found:
        cells[enrollment_id] = {"capstone": Cell(state_label(state), _STATE_ORDER.get(state))}
        if points is not None:
            cells[enrollment_id]["capstone-points"] = Cell(
                _("%(points)s (pass mark %(threshold)s)", points=points, threshold=threshold),
                points,
            )
    # Learners who have not started: "Nothing yet", sorted after everyone else.
    for e in places:
        cells.setdefault(e.id, {"capstone": Cell(state_label(None), 5)})
    return cells


register_columns(ColumnGroup("capstones", _columns, _cells, position=20))
