"""Capstone projects: drafts, submissions and their versions, reviews, extensions, reminders.

Views and commands call these. Every state change is a guarded UPDATE on the submission row,
so a double click, a resubmission racing a review, or two tutors reviewing at once can never
both win: the loser gets a clear error and nothing it sent is lost from its form.
"""

import functools
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Text, bindparam, cast, func, insert, literal, select, update

from app.accounts.models import Institution, User
from app.accounts.services import external_url
from app.capstones.item_kinds import CAPSTONE
from app.capstones.models import (
    CapstoneFile,
    CapstoneReminder,
    CapstoneRubric,
    Decision,
    QueueCount,
    Review,
    Submission,
    SubmissionState,
    SubmissionVersion,
)
from app.capstones.notification_kinds import REVIEWED, REVISE
from app.capstones.uploads import CheckedFile, UploadRefused, check_upload
from app.catalog.models import Course, Item
from app.core.db import UTCDateTime, insert_or_ignore, read_rows, utcnow
from app.core.i18n import localise, reader_language
from app.core.mail import send_template_mail
from app.core.pagination import Page
from app.core.refusals import Refusal
from app.extensions import db
from app.learning import services as learning
from app.notifications.services import notify
from app.seasons.models import Cohort, Enrollment, Offering, SeasonState, cohort_tutor, day_ends

TEXT_MAX = 20_000
COMMENT_MAX = 10_000
FILES_MAX = 10
EDITABLE = (SubmissionState.DRAFT, SubmissionState.REVISE)


class CapstoneError(Refusal):
    """A rule about capstone projects was broken; the message is for the person."""


class SubmissionClosed(CapstoneError):
    pass


class NothingToSubmit(CapstoneError):
    pass


class ReviewConflict(CapstoneError):
    pass


class InvalidReview(CapstoneError):
    pass


__all__ = ["UploadRefused"]  # views catch it with the errors above


# Finding and starting ----------------------------------------------------------------


def capstone_item(course: Course) -> Item | None:
    """The course's capstone brief (a course has at most one)."""
    return db.session.scalar(
        select(Item).where(Item.course_id == course.id, Item.kind == CAPSTONE).limit(1)
    )


def find_submission(enrollment: Enrollment, item: Item) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(
            Submission.enrollment_id == enrollment.id, Submission.item_id == item.id
        )
    )


def start_submission(enrollment: Enrollment, item: Item) -> Submission:
    """The learner's submission for the capstone, created (as a draft) the first time."""
    if item.kind != CAPSTONE or item.course_id != enrollment.course_id:
        raise ValueError("not a capstone of this course")
    if enrollment.cohort_id is None:
        raise SubmissionClosed(_l("Capstone projects are reviewed in a cohort."))
    insert_or_ignore(
        Submission,
        enrollment_id=enrollment.id,
        item_id=item.id,
        cohort_id=enrollment.cohort_id,
        state=SubmissionState.DRAFT,
        draft_text="",
        versions=0,
        review_token=0,
        created_at=utcnow(),
    )
    return find_submission(enrollment, item)


# Deadlines -----------------------------------------------------------------------------


@dataclass
class Deadlines:
    due_on: date | None
    cutoff_on: date | None

    def is_late(self, now=None) -> bool:
        return self.due_on is not None and (now or utcnow()) >= day_ends(self.due_on)

    def is_closed(self, now=None) -> bool:
        return self.cutoff_on is not None and (now or utcnow()) >= day_ends(self.cutoff_on)


def deadlines(submission: Submission) -> Deadlines:
    """The cohort's deadline and cut-off, moved for this learner by an extension."""
    cohort = submission.cohort
    due, cutoff = cohort.capstone_due_on, cohort.capstone_cutoff_on
    extended = submission.extended_until
    if extended is not None:
        due = max(due, extended) if due else extended
        cutoff = max(cutoff, extended) if cutoff else None
    return Deadlines(due, cutoff)


def attempts_allowed(item: Item) -> int:
    return int(item.content.get("max_attempts", 3))


def why_not_editable(submission: Submission):
    """None if the learner can change and submit the work now, else the reason."""
    if submission.state not in EDITABLE:
        return _l("This project is with your tutor or already decided.")
    if not submission.cohort.is_open_for_work:
        return _l(
            "The capstone project opens on %(date)s, your cohort's first day.",
            date=format_date(submission.cohort.starts_on, "long"),
        )
    if submission.enrollment.season.state == SeasonState.CLOSED:
        return _l("This season is closed: submissions have stopped.")
    if deadlines(submission).is_closed():
        return _l("The cut-off date for this project has passed.")
    if submission.versions >= attempts_allowed(submission.item):
        return _l("You have used every attempt at this project.")
    return None


def _check_editable(submission: Submission) -> None:
    reason = why_not_editable(submission)
    if reason is not None:
        raise SubmissionClosed(reason)


def grant_extension(submission: Submission, until: date | None) -> None:
    """Move one learner's deadline (and cut-off) to `until`; None takes it back."""
    due = submission.cohort.capstone_due_on
    if until is not None and due is not None and until <= due:
        raise InvalidReview(_l("An extension ends after the cohort's deadline."))
    if until is not None and until > submission.cohort.offering.season.ends_on:
        raise InvalidReview(_l("An extension ends within the season."))
    submission.extended_until = until
    db.session.flush()


# Files -----------------------------------------------------------------------------------


def draft_files(submission: Submission) -> list[CapstoneFile]:
    return list(
        db.session.scalars(
            select(CapstoneFile)
            .where(
                CapstoneFile.submission_id == submission.id,
                CapstoneFile.version_id.is_(None),
                CapstoneFile.review_id.is_(None),
            )
            .order_by(CapstoneFile.id)
        )
    )


def check_uploads(uploads: list[tuple[str, bytes]], already: int = 0, count: int = 0):
    """Every upload checked before any is kept: all accepted, or UploadRefused for the first
    refused one (the message names it)."""
    checked = [check_upload(name, data) for name, data in uploads]
    if count + len(checked) > FILES_MAX:
        raise UploadRefused(_l("At most %(max)s files per submission.", max=FILES_MAX))
    total = already + sum(len(c.data) for c in checked)
    limit = current_app.config["CAPSTONE_MAX_SUBMISSION_BYTES"]
    if total > limit:
        raise UploadRefused(
            _l("All files together may not exceed %(mb)s MB.", mb=limit // (1024 * 1024))
        )
    return checked


def _keep(submission: Submission, checked: CheckedFile, review: Review | None = None):
    stored = CapstoneFile(
        token=secrets.token_urlsafe(32),
        submission_id=submission.id,
        review_id=review.id if review else None,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        data=checked.data,
    )
    db.session.add(stored)
    return stored


def file_by_token(token: str) -> CapstoneFile | None:
    return db.session.scalar(select(CapstoneFile).where(CapstoneFile.token == token))


# Drafts and submissions --------------------------------------------------------------


def _check_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\x00", "")
    if len(text) > TEXT_MAX:
        raise NothingToSubmit(_l("The text has at most %(max)s characters.", max=TEXT_MAX))
    return text


def save_draft(
    submission: Submission,
    text: str,
    uploads: list[tuple[str, bytes]] = (),
    remove: list[str] = (),
) -> None:
    """Keep the text and files for later; nothing is sent to the tutor."""
    _check_editable(submission)
    text = _check_text(text)
    kept = [f for f in draft_files(submission) if f.token not in set(remove)]
    checked = check_uploads(list(uploads), sum(f.size for f in kept), len(kept))
    for stored in draft_files(submission):
        if stored.token in set(remove):
            db.session.delete(stored)
    for upload in checked:
        _keep(submission, upload)
    submission.draft_text = text
    db.session.flush()


def check_submittable(submission: Submission) -> None:
    """Refuse a draft that could not be submitted now (closed, or nothing in it)."""
    _check_editable(submission)
    if not submission.draft_text.strip() and not draft_files(submission):
        raise NothingToSubmit(_l("Write your project or attach a file before submitting."))


def submit(
    submission: Submission,
    text: str,
    uploads: list[tuple[str, bytes]] = (),
    remove: list[str] = (),
    *,
    seen_versions: int | None = None,
) -> SubmissionVersion:
    """Send the work to the tutors as the next numbered version.

    `seen_versions` is the count the form was drawn with: a form sent twice (a double click)
    returns the version the first one made instead of making another.
    """
    if seen_versions is not None and submission.versions > seen_versions:
        return submission.history[-1]
    save_draft(submission, text, uploads, remove)
    files = draft_files(submission)
    if not submission.draft_text.strip() and not files:
        raise NothingToSubmit(_l("Write your project or attach a file before submitting."))
    number = submission.versions + 1
    late = deadlines(submission).is_late()
    moved = db.session.execute(
        update(Submission)
        .where(
            Submission.id == submission.id,
            Submission.versions == number - 1,
            Submission.state.in_(EDITABLE),
        )
        .values(
            versions=number,
            state=SubmissionState.SUBMITTED,
            review_token=Submission.review_token + 1,
            submitted_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.refresh(submission)
        return submission.history[-1]
    version = SubmissionVersion(
        submission_id=submission.id, number=number, text=submission.draft_text, late=late
    )
    db.session.add(version)
    db.session.flush()
    for stored in files:
        stored.version_id = version.id
    db.session.flush()
    db.session.refresh(submission)
    _tell_tutors(submission, version)
    return version


def _tell_tutors(submission: Submission, version: SubmissionVersion) -> None:
    learner = submission.enrollment.user
    for tutor in submission.cohort.tutors:
        send_template_mail(
            tutor.email,
            tutor.locale,
            "capstones/mail/submitted",
            _l("A capstone project to review"),
            tutor=tutor,
            learner=learner,
            version=version,
            course=submission.enrollment.course,
            review_url=external_url("capstones_tutor.review", submission_id=submission.id),
        )


# Reviews -----------------------------------------------------------------------------------


def rubric(item: Item) -> dict:
    """The rubric the item's projects are reviewed against (the capstones area's own row)."""
    return db.session.get(CapstoneRubric, item.id).rubric


def rubrics_of(item_ids: list[int]) -> dict[int, dict]:
    """{item id: rubric} for many items, in one query."""
    if not item_ids:
        return {}
    return dict(
        db.session.execute(
            select(CapstoneRubric.item_id, CapstoneRubric.rubric).where(
                CapstoneRubric.item_id.in_(item_ids)
            )
        ).all()
    )


def save_rubric(item: Item, new: dict) -> None:
    """Keep `new` as the item's rubric (from its package, or an administrator's CSV file).
    Reviews already made keep the scores they gave."""
    found = db.session.get(CapstoneRubric, item.id)
    if found is None:
        db.session.add(CapstoneRubric(item_id=item.id, rubric=new, updated_at=utcnow()))
    else:
        found.rubric, found.updated_at = new, utcnow()
    db.session.flush()


def score_levels(found: dict, levels: list[int]) -> tuple[list[dict], int]:
    """The rubric's rule for points: one level chosen for every criterion, each worth its
    points; (each criterion's score as the review keeps it, the points in all). A pure rule:
    InvalidReview unless every criterion has one of its levels."""
    criteria = found["criteria"]
    if len(levels) != len(criteria) or any(
        type(level) is not int or not 0 <= level < len(c["levels"])
        for level, c in zip(levels, criteria, strict=False)
    ):
        raise InvalidReview(_l("Choose a level for every criterion."))
    scores = [
        {
            "criterion": c["title"],
            "level": c["levels"][level].get("title") or c["levels"][level]["description"],
            "points": c["levels"][level]["points"],
        }
        for level, c in zip(levels, criteria, strict=True)
    ]
    return scores, sum(score["points"] for score in scores)


def check_decision(
    decision: Decision, points: int, threshold: int, versions: int, attempts: int
) -> None:
    """A pass needs the pass mark; a revision needs an attempt left after `versions` sent of
    `attempts` allowed. A pure rule: InvalidReview otherwise."""
    if decision == Decision.PASS and points < threshold:
        raise InvalidReview(
            _l(
                "%(points)s points do not reach the pass mark of %(threshold)s.",
                points=points,
                threshold=threshold,
            )
        )
    if decision == Decision.REVISE and versions >= attempts:
        raise InvalidReview(_l("No attempt is left for a revision: decide pass or not passed."))


def review(
    submission: Submission,
    tutor: User,
    *,
    seen_token: int,
    levels: list[int],
    comment: str,
    decision: Decision,
    uploads: list[tuple[str, bytes]] = (),
) -> Review:
    """Record the tutor's review of the latest version and its decision.

    Refused with ReviewConflict when the submission changed since the form was drawn
    (another tutor's review, or a newer version): the tutor sees the current state first.
    """
    if submission.state != SubmissionState.SUBMITTED:
        raise ReviewConflict(_l("This project is not waiting for a review any more."))
    found = rubric(submission.item)
    scores, points = score_levels(found, levels)
    comment = (comment or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidReview(_l("The comment has at most %(max)s characters.", max=COMMENT_MAX))
    threshold = found["pass_threshold"]
    check_decision(
        decision, points, threshold, submission.versions, attempts_allowed(submission.item)
    )
    checked = check_uploads(list(uploads))
    new_state = {
        Decision.PASS: SubmissionState.PASSED,
        Decision.REVISE: SubmissionState.REVISE,
        Decision.NOT_PASSED: SubmissionState.NOT_PASSED,
    }[decision]
    won = db.session.execute(
        update(Submission)
        .where(
            Submission.id == submission.id,
            Submission.review_token == seen_token,
            Submission.state == SubmissionState.SUBMITTED,
        )
        .values(state=new_state, review_token=Submission.review_token + 1, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise ReviewConflict(
            _l(
                "Someone else reviewed this project, or the learner sent a new version, while "
                "you were working. Read the current state below; your scores and comment are "
                "still in the form."
            )
        )
    db.session.refresh(submission)
    version = submission.history[-1]
    made = Review(
        submission_id=submission.id,
        version_id=version.id,
        tutor_id=tutor.id,
        scores=scores,
        points=points,
        pass_threshold=threshold,
        comment=comment,
        decision=decision,
    )
    db.session.add(made)
    db.session.flush()
    for upload in checked:
        _keep(submission, upload, made)
    db.session.flush()
    if decision == Decision.PASS:
        learning.record_item_passed(submission.enrollment, submission.item)
    elif decision == Decision.REVISE:
        carry_files_to_draft(submission, version)
    _tell_learner(submission, made)
    return made


def carry_files_to_draft(submission: Submission, version: SubmissionVersion) -> int:
    """Start the revision from the version's files: each is copied into the draft (under a new
    name), where the learner keeps, removes or adds to them; the version keeps its own. The
    bytes are copied inside the database, never read into this process. How many were copied."""
    originals = db.session.scalars(
        select(CapstoneFile.id)
        .where(CapstoneFile.version_id == version.id, CapstoneFile.review_id.is_(None))
        .order_by(CapstoneFile.id)
    ).all()
    for original in originals:
        db.session.execute(
            insert(CapstoneFile).from_select(
                [
                    "token",
                    "submission_id",
                    "filename",
                    "content_type",
                    "size",
                    "sha256",
                    "data",
                    "created_at",
                ],
                select(
                    literal(secrets.token_urlsafe(32), String),
                    CapstoneFile.submission_id,
                    CapstoneFile.filename,
                    CapstoneFile.content_type,
                    CapstoneFile.size,
                    CapstoneFile.sha256,
                    CapstoneFile.data,
                    literal(utcnow(), UTCDateTime),
                ).where(CapstoneFile.id == original),
            )
        )
    db.session.flush()
    return len(originals)


def _tell_learner(submission: Submission, made: Review) -> None:
    learner = submission.enrollment.user
    course = submission.enrollment.course
    send_template_mail(
        learner.email,
        learner.locale,
        "capstones/mail/reviewed",
        _l("Your capstone project was reviewed"),
        learner=learner,
        review=made,
        course=course,
        project_url=external_url(
            "learning.item", course_slug=course.slug, item_slug=submission.item.slug
        ),
    )
    notify(
        learner,
        REVISE if made.decision == Decision.REVISE else REVIEWED,
        external_url("learning.item", course_slug=course.slug, item_slug=submission.item.slug),
        course=course.title,
    )


def reviews_of(submission: Submission) -> dict[int, Review]:
    """{version id: its review}."""
    return {
        r.version_id: r
        for r in db.session.scalars(
            select(Review).where(Review.submission_id == submission.id).order_by(Review.id)
        )
    }


# Reminders -------------------------------------------------------------------------------


def remind_due(today: date, days_ahead: int = 3) -> int:
    """Mail learners whose capstone deadline (their extension's, if granted) falls within
    `days_ahead` days and who have sent nothing yet; once per learner and deadline however
    often this runs."""
    last_day = today + timedelta(days=days_ahead)
    due = func.coalesce(Submission.extended_until, Cohort.capstone_due_on)
    rows = db.session.execute(
        select(Enrollment, Cohort, Item, due)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Item, (Item.course_id == Enrollment.course_id) & (Item.kind == CAPSTONE))
        .outerjoin(
            Submission,
            (Submission.enrollment_id == Enrollment.id) & (Submission.item_id == Item.id),
        )
        .where(
            due.is_not(None),
            due >= today,
            due <= last_day,
            func.coalesce(Submission.versions, 0) == 0,
        )
    ).all()
    sent = 0
    for enrollment, cohort, item, due_on in rows:
        if enrollment.season.state != SeasonState.OPEN:
            continue
        if not insert_or_ignore(
            CapstoneReminder, enrollment_id=enrollment.id, due_on=due_on, sent_at=utcnow()
        ):
            continue
        learner = enrollment.user
        send_template_mail(
            learner.email,
            learner.locale,
            "capstones/mail/reminder",
            _l("Your capstone project is due soon"),
            learner=learner,
            cohort=cohort,
            due_on=due_on,
            course=enrollment.course,
            project_url=external_url(
                "learning.item", course_slug=enrollment.course.slug, item_slug=item.slug
            ),
        )
        sent += 1
    return sent


# The tutors' queue -----------------------------------------------------------------------

QUEUE_PAGE_SIZE = 50
QUEUE_STATES = (
    SubmissionState.SUBMITTED,
    SubmissionState.REVISE,
    SubmissionState.PASSED,
    SubmissionState.NOT_PASSED,
)


def review_queue(user: User, state: SubmissionState, page_number: int):
    """({state: count}, the page of rows) across the cohorts `user` leads (administrators:
    all), in two queries whatever the queue's size. The counts are read from one row per
    cohort that the database keeps (app/capstones/queue_counts.py)."""
    led = {} if user.is_admin else {"user_id": user.id}
    totals = read_rows(_queue_sums(user.is_admin), led).one()  # rows: app/core/db.py
    counts = {state: total for state, total in zip(QUEUE_STATES, totals, strict=True) if total}
    page = Page(max(1, page_number), QUEUE_PAGE_SIZE, counts.get(state, 0))
    page.page = min(page.page, page.pages)
    waiting = state in (SubmissionState.SUBMITTED, SubmissionState.REVISE)
    page.items = read_rows(
        _queue_rows(user.is_admin, reader_language(), waiting),
        {
            **led,
            "state": state,
            "size": QUEUE_PAGE_SIZE,
            "skip": (page.page - 1) * QUEUE_PAGE_SIZE,
        },
    ).all()
    page.course_titles = {}  # {course id: its title in the reader's language}
    for row in page.items:
        if row.course_id not in page.course_titles:
            page.course_titles[row.course_id] = localise(
                json.loads(row.course_title_json), row.course_language
            )
    return counts, page


# The queue's two statements, built once for each kind of reader (an administrator sees every
# cohort, a tutor those they lead), language and order, not on each request.


@functools.cache
def _queue_sums(every_cohort: bool):
    sums = select(*(func.coalesce(func.sum(getattr(QueueCount, s.value)), 0) for s in QUEUE_STATES))
    if not every_cohort:
        sums = sums.where(QueueCount.cohort_id.in_(_cohorts_led_by_param()))
    return sums


@functools.cache
def _queue_rows(every_cohort: bool, language: str, waiting: bool):
    latest = SubmissionVersion
    if waiting:
        order = (Submission.submitted_at, Submission.id)  # oldest waiting first
    else:
        order = (Submission.decided_at.desc(), Submission.id.desc())  # latest decisions first
    # Rows, not objects: the page shows a few columns of 50 projects, and building the
    # submissions, enrolments, people, institutions, cohorts and courses behind them (each
    # course's JSON texts decoded again for every row) cost more than the rest of the page.
    rows = (
        select(
            Submission.id,
            Submission.versions,
            Submission.submitted_at,
            latest.late,
            User.full_name,
            # What User.institution_label shows: the acronym and the name in the
            # reader's language, else the name typed in.
            func.coalesce(Institution.label_column(language), User.institution_other, "").label(
                "institution"
            ),
            Cohort.name.label("cohort_name"),
            Course.id.label("course_id"),
            # As stored: each course's title is read once for the page, not per row.
            cast(Course.title, Text).label("course_title_json"),
            Course.language.label("course_language"),
        )
        .select_from(Submission)
        .outerjoin(
            latest,
            (latest.submission_id == Submission.id) & (latest.number == Submission.versions),
        )
        .join(Enrollment, Enrollment.id == Submission.enrollment_id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(Institution, Institution.id == User.institution_id)
        .join(Cohort, Cohort.id == Submission.cohort_id)
        .join(Offering, Offering.id == Cohort.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .where(Submission.state == bindparam("state"))
        .order_by(*order)
        .limit(bindparam("size"))
        .offset(bindparam("skip"))
    )
    if not every_cohort:
        rows = rows.where(Submission.cohort_id.in_(_cohorts_led_by_param()))
    return rows


def _cohorts_led_by_param():
    return select(cohort_tutor.c.cohort_id).where(cohort_tutor.c.user_id == bindparam("user_id"))


def projects_by_item(item_ids: list[int]) -> dict[int, int]:
    """{item id: learners' projects on it} for the items that have any."""
    return dict(
        db.session.execute(
            select(Submission.item_id, func.count())
            .where(Submission.item_id.in_(item_ids))
            .group_by(Submission.item_id)
        ).all()
    )
