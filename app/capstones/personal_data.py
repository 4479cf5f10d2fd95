"""What the capstones area keeps about a person (app/core/privacy.py): their capstone
projects (drafts, submitted versions, file names, the reviews they received), deadline
reminders, and (tutors) the reviews they wrote."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from app.capstones.models import (
    CapstoneFile,
    CapstoneReminder,
    Review,
    Submission,
    SubmissionVersion,
)
from app.catalog.models import Item
from app.core.privacy import register_personal_data
from app.extensions import db
from app.seasons.models import Enrollment


def _their_enrollments(user):
    return select(Enrollment.id).where(Enrollment.user_id == user.id)


def _file(f: CapstoneFile) -> dict:
    # The file's name, type, size and digest: the bytes are downloaded from the project page.
    return {
        "filename": f.filename,
        "content_type": f.content_type,
        "size": f.size,
        "sha256": f.sha256,
        "uploaded_at": f.created_at,
    }


def _projects(user) -> list[dict]:
    submissions = list(
        db.session.scalars(
            select(Submission)
            .where(Submission.enrollment_id.in_(_their_enrollments(user)))
            .options(selectinload(Submission.history))
            .order_by(Submission.id)
        )
    )
    ids = [s.id for s in submissions]
    files = list(
        db.session.scalars(
            select(CapstoneFile)
            .where(CapstoneFile.submission_id.in_(ids))
            .order_by(CapstoneFile.id)
        )
    )
    reviews = list(
        db.session.scalars(select(Review).where(Review.submission_id.in_(ids)).order_by(Review.id))
    )
    slugs = dict(
        db.session.execute(
            select(Item.id, Item.slug).where(Item.id.in_({s.item_id for s in submissions}))
        ).all()
    )
    found = []
    for s in submissions:
        mine = [f for f in files if f.submission_id == s.id]
        found.append(
            {
                "enrollment_id": s.enrollment_id,
                "capstone": slugs.get(s.item_id),
                "state": s.state,
                "draft_text": s.draft_text,
                "draft_files": [
                    _file(f) for f in mine if f.version_id is None and f.review_id is None
                ],
                "submitted_at": s.submitted_at,
                "decided_at": s.decided_at,
                "extended_until": s.extended_until,
                "versions": [
                    {
                        "number": v.number,
                        "text": v.text,
                        "late": v.late,
                        "submitted_at": v.submitted_at,
                        "files": [_file(f) for f in mine if f.version_id == v.id],
                    }
                    for v in s.history
                ],
                "reviews": [
                    {
                        "version": next(
                            (v.number for v in s.history if v.id == r.version_id), None
                        ),
                        "scores": r.scores,
                        "points": r.points,
                        "pass_threshold": r.pass_threshold,
                        "decision": r.decision,
                        "comment": r.comment,
                        "created_at": r.created_at,
                        "files": [_file(f) for f in mine if f.review_id == r.id],
                    }
                    for r in reviews
                    if r.submission_id == s.id
                ],
            }
        )
    return found


def _erase_projects(user) -> None:
    theirs = select(Submission.id).where(Submission.enrollment_id.in_(_their_enrollments(user)))
    for model in (CapstoneFile, Review, SubmissionVersion):
        db.session.execute(
            delete(model)
            .where(model.submission_id.in_(theirs))
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        delete(Submission)
        .where(Submission.id.in_(theirs))
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "capstone_projects",
    tables=("capstone_submission", "capstone_version", "capstone_file"),
    export=_projects,
    erase=_erase_projects,
    erase_order=20,
)


def _reminders(user) -> list[dict]:
    rows = db.session.execute(
        select(CapstoneReminder.enrollment_id, CapstoneReminder.due_on, CapstoneReminder.sent_at)
        .where(CapstoneReminder.enrollment_id.in_(_their_enrollments(user)))
        .order_by(CapstoneReminder.id)
    )
    return [{"enrollment_id": e, "due_on": due, "sent_at": at} for e, due, at in rows]


def _erase_reminders(user) -> None:
    db.session.execute(
        delete(CapstoneReminder)
        .where(CapstoneReminder.enrollment_id.in_(_their_enrollments(user)))
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "capstone_reminders",
    tables=("capstone_reminder",),
    export=_reminders,
    erase=_erase_reminders,
    erase_order=20,
)


def _reviews_written(user) -> list[dict]:
    rows = db.session.execute(
        select(Review.submission_id, Review.decision, Review.points, Review.created_at)
        .where(Review.tutor_id == user.id)
        .order_by(Review.id)
    )
    return [
        {"submission_id": s, "decision": d, "points": p, "created_at": at} for s, d, p, at in rows
    ]


def _erase_reviews_written(user) -> None:
    db.session.execute(
        update(Review)
        .where(Review.tutor_id == user.id)
        .values(tutor_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "capstone_reviews_written",
    tables=("capstone_review",),
    export=_reviews_written,
    erase=_erase_reviews_written,
    erase_order=15,
    kept=_l(
        "Reviews you wrote as a tutor stay with the learners' projects they judge, without "
        "your name: they are part of those learners' records."
    ),
)
