"""Enrolment, progress, quizzes and completion. Views and other areas call these."""

from blinker import Namespace
from flask_babel import format_date, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, func, select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.services import external_url, record_action
from app.catalog.models import Item
from app.core.db import insert_or_ignore, read_rows, utcnow
from app.core.i18n import localise
from app.core.mail import send_template_mail
from app.core.refusals import Refusal
from app.extensions import db
from app.learning.dashboard import notes_for
from app.learning.item_kinds import QUIZ
from app.learning.models import (
    GRANT_MAX_ATTEMPTS,
    GRANT_REASON_MAX,
    ItemProgress,
    QuizAttempt,
    QuizAttemptGrant,
)
from app.learning.outline import outlines_of
from app.seasons.enrollments import (
    is_read_only,
    lock_enrollment,
    opens_on,
    places_of,
    register_progress,
)
from app.seasons.models import Enrollment
from app.seasons.services import latest_messages

signals = Namespace()
# Sent once per enrolment, inside the transaction that records its completion, with the
# enrolment's id as sender: what a listener writes (the certificate) commits or rolls back
# with the completion. Listeners queue slow work (rendering) for after the commit.
course_completed = signals.signal("course-completed")


class LearningError(Refusal):
    """A rule about learning was broken; the message is for the learner."""


class SeasonClosed(LearningError):
    pass


class NotOpenYet(LearningError):
    pass


class NoAttemptsLeft(LearningError):
    pass


class AttemptOutOfDate(LearningError):
    pass


class QuizPassedAlready(LearningError):
    pass


class UnansweredQuestions(LearningError):
    """Some questions were left blank; `missing` holds their positions (from 0)."""

    status = 422

    def __init__(self, missing: list[int]):
        self.missing = missing
        super().__init__(
            ngettext(
                "%(num)s question has no answer.", "%(num)s questions have no answer.", len(missing)
            )
        )


class GrantRefused(LearningError):
    pass


class GrantOutOfDate(GrantRefused):
    pass


# Built once: the player and the dashboard run them on every request.
_DONE = select(ItemProgress.item_id).where(ItemProgress.enrollment_id == bindparam("enrollment"))
# The items each place has done: the rest of a course's card (its items, which count, their
# order and titles) comes from the course's outline, kept per version (app/learning/outline.py).
_DONE_IN_PLACES = select(ItemProgress.enrollment_id, ItemProgress.item_id).where(
    ItemProgress.enrollment_id.in_(bindparam("places", expanding=True))
)


def done_item_ids(enrollment: Enrollment) -> set[int]:
    return set(db.session.scalars(_DONE, {"enrollment": enrollment.id}))


def check_writable(enrollment: Enrollment) -> None:
    """Refuse work that cannot count now: before the cohort opens, or once the season closed
    (so no completion, and no certificate, ever predates the cohort's start)."""
    day = opens_on(enrollment)
    if day is not None:
        raise NotOpenYet(_l("This course opens on %(date)s.", date=format_date(day, "long")))
    if is_read_only(enrollment):
        raise SeasonClosed(_l("This season is closed: your work stays here to read."))


def mark_done(enrollment: Enrollment, item: Item) -> None:
    """Record an item as done (once), then see whether the course is complete."""
    if item.course_id != enrollment.course_id:
        raise ValueError("item of another course")
    check_writable(enrollment)
    # Lock the enrolment first (PostgreSQL; SQLite serialises writers anyway): two requests
    # finishing two different last items then count one after the other, so neither misses
    # the other's row and the completion is never lost.
    lock_enrollment(enrollment.id)
    insert_or_ignore(ItemProgress, enrollment_id=enrollment.id, item_id=item.id, done_at=utcnow())
    record_completion_if_due(enrollment)


def record_item_passed(enrollment: Enrollment, item: Item) -> None:
    """A reviewed item (a capstone) passed: count it done, even after the season closed
    (reviews go on), then see whether the course is complete."""
    if item.course_id != enrollment.course_id:
        raise ValueError("item of another course")
    lock_enrollment(enrollment.id)
    insert_or_ignore(ItemProgress, enrollment_id=enrollment.id, item_id=item.id, done_at=utcnow())
    record_completion_if_due(enrollment)


def record_completion_if_due(enrollment: Enrollment) -> bool:
    """Record the completion moment exactly once when the rule holds; True if this call did."""
    required = db.session.scalar(
        select(func.count())
        .select_from(Item)
        .where(Item.course_id == enrollment.course_id, Item.required)
    )
    done = db.session.scalar(
        select(func.count())
        .select_from(ItemProgress)
        .join(Item, Item.id == ItemProgress.item_id)
        .where(ItemProgress.enrollment_id == enrollment.id, Item.required)
    )
    if not required or done < required:
        return False
    # One UPDATE guarded by `completed_at IS NULL`: of concurrent callers, exactly one wins.
    result = db.session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment.id, Enrollment.completed_at.is_(None))
        .values(completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(enrollment)
    course_completed.send(enrollment.id)
    return True


# Quizzes ------------------------------------------------------------------------------


def attempts_of(enrollment: Enrollment, item: Item) -> list[QuizAttempt]:
    return list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.enrollment_id == enrollment.id, QuizAttempt.item_id == item.id)
            .order_by(QuizAttempt.number)
        )
    )


def attempt_limit(item: Item, granted: int = 0) -> int | None:
    """How many attempts the learner may make in all (None: no limit): the package's
    max_attempts plus what was granted."""
    limit = item.content["max_attempts"]
    return None if limit == 0 else limit + granted


def attempts_left(item: Item, attempts: list[QuizAttempt], granted: int = 0) -> int | None:
    """How many attempts remain (None: no limit)."""
    limit = attempt_limit(item, granted)
    return None if limit is None else max(0, limit - len(attempts))


def shows_answers_always(item: Item) -> bool:
    """Whether the package shows the correct answers after every attempt (`show_answers`)."""
    return item.content.get("show_answers") == "always"


def _is_blank(values: list[str]) -> bool:
    return not any(value.strip() for value in values)


def unanswered(item: Item, answers: dict[str, list[str]]) -> list[int]:
    """The positions of the questions given no answer."""
    return [
        index
        for index in range(len(item.content["questions"]))
        if _is_blank(answers.get(str(index), []))
    ]


def grade(item: Item, answers: dict[str, list[str]]) -> list[bool]:
    """Whether each question was answered correctly; answers are checked here, never in the page."""
    results = []
    for index, question in enumerate(item.content["questions"]):
        given = answers.get(str(index), [])
        kind = question["kind"]
        if kind in ("single", "multiple"):
            correct = {str(i) for i, c in enumerate(question["choices"]) if c["correct"]}
            results.append(set(given) == correct)
        elif kind == "true_false":
            results.append(given == [str(question["answer"]).lower()])
        else:
            try:
                value = float(given[0].replace(",", ".")) if given else None
            except ValueError:
                value = None
            results.append(
                value is not None
                and abs(value - float(question["answer"])) <= question["tolerance"]
            )
    return results


def submit_quiz(
    enrollment: Enrollment, item: Item, number: int, answers: dict[str, list[str]]
) -> QuizAttempt:
    """Grade and record attempt `number`. The same form sent twice returns the first attempt.

    Refused, spending nothing: a quiz passed already, no attempt left, an out-of-date page,
    and answers that leave some question blank (`UnansweredQuestions.missing` says which).
    """
    if item.kind != QUIZ or item.course_id != enrollment.course_id:
        raise ValueError("not a quiz of this course")
    check_writable(enrollment)
    attempts = attempts_of(enrollment, item)
    for attempt in attempts:
        if attempt.number == number:
            return attempt  # a double submission: the attempt already counted
    if number != len(attempts) + 1:
        raise AttemptOutOfDate(_l("This quiz page was out of date. Here is the current one."))
    if any(attempt.passed for attempt in attempts):
        # Once passed, the page shows the correct answers: another attempt would score nothing.
        raise QuizPassedAlready(_l("You have passed this quiz already."))
    granted = granted_attempts(enrollment, item)
    if attempts_left(item, attempts, granted) == 0:
        raise NoAttemptsLeft(_l("You have used every attempt at this quiz."))
    missing = unanswered(item, answers)
    if missing:
        raise UnansweredQuestions(missing)
    results = grade(item, answers)
    score = round(100 * sum(results) / len(results))
    # The same attempt number arriving twice at once lands once: the first one counts.
    inserted = insert_or_ignore(
        QuizAttempt,
        enrollment_id=enrollment.id,
        item_id=item.id,
        number=number,
        answers=answers,
        results=results,
        score=score,
        passed=score >= item.content["pass_mark"],
        submitted_at=utcnow(),
    )
    attempt = db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.enrollment_id == enrollment.id,
            QuizAttempt.item_id == item.id,
            QuizAttempt.number == number,
        )
    )
    if attempt.passed:
        mark_done(enrollment, item)
    elif inserted and item.required and attempts_left(item, [*attempts, attempt], granted) == 0:
        _tell_who_can_grant(enrollment, item)
    return attempt


def granted_attempts(enrollment: Enrollment, item: Item) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(QuizAttemptGrant.attempts), 0)).where(
            QuizAttemptGrant.enrollment_id == enrollment.id,
            QuizAttemptGrant.item_id == item.id,
        )
    )


def may_grant_attempts(user: User, enrollment: Enrollment) -> bool:
    """Administrators, and tutors of the learner's cohort (a self-paced place has none)."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    cohort = enrollment.cohort
    return cohort is not None and cohort.is_tutor(user)


def who_can_grant(enrollment: Enrollment) -> tuple[list[User], bool]:
    """The people who can give this learner more attempts, and whether they are the cohort's
    tutors (else the administrators, for a self-paced place or a cohort with no tutor)."""
    cohort = enrollment.cohort
    if cohort is not None and cohort.tutors:
        return list(cohort.tutors), True
    admins = db.session.scalars(
        select(User).where(User.is_admin).order_by(User.full_name, User.id)
    ).all()
    return list(admins), False


def _tell_who_can_grant(enrollment: Enrollment, item: Item) -> None:
    """Mail each person who can give more attempts, in their language, with the page's link."""
    people, _tutors = who_can_grant(enrollment)
    learner = enrollment.user
    course = enrollment.course
    url = external_url("learning_tutor.attempts", enrollment_id=enrollment.id)
    for person in people:
        send_template_mail(
            person.email,
            person.locale,
            "learning/mail/attempts_spent",
            _l("A learner has used every attempt at a quiz"),
            person=person,
            learner=learner,
            course=course,
            item=item,
            grant_url=url,
        )


def grants_made(enrollment: Enrollment) -> int:
    """How many grants the learner has had (any quiz): the grant form carries the next number."""
    return db.session.scalar(
        select(func.count())
        .select_from(QuizAttemptGrant)
        .where(QuizAttemptGrant.enrollment_id == enrollment.id)
    )


def grant_attempts(
    enrollment: Enrollment, item: Item, attempts: int, reason: str, by: User, number: int
) -> QuizAttemptGrant:
    """Give the learner `attempts` more attempts at `item`, keeping the reason, who and when.

    `number` is the learner's grant number the form expected to make (grants_made() + 1): the
    same form sent twice returns the first grant, and a page that was out of date is refused.
    """
    if item.kind != QUIZ or item.course_id != enrollment.course_id:
        raise ValueError("not a quiz of this course")
    if not may_grant_attempts(by, enrollment):
        raise GrantRefused(_l("Only a tutor of this learner's cohort or an administrator can."))
    check_writable(enrollment)
    reason = (reason or "").strip()
    if not reason or len(reason) > GRANT_REASON_MAX or has_control_characters(reason):
        raise GrantRefused(
            _l("Give a reason, in at most %(max)s characters.", max=GRANT_REASON_MAX)
        )
    if not 1 <= attempts <= GRANT_MAX_ATTEMPTS:
        raise GrantRefused(_l("Give between 1 and %(max)s attempts.", max=GRANT_MAX_ATTEMPTS))
    if attempt_limit(item) is None:
        raise GrantRefused(_l("This quiz has no limit on attempts."))
    made = grants_made(enrollment)
    if 1 <= number <= made:
        found = _grant_numbered(enrollment, number)
        if found.item_id == item.id and found.attempts == attempts and found.reason == reason:
            return found  # the same form sent twice: given once
    if number != made + 1:
        raise GrantOutOfDate(
            _l("This page was out of date: look at the attempts given, then try again.")
        )
    # Two copies of one form arriving at once: the unique number lets one in.
    inserted = insert_or_ignore(
        QuizAttemptGrant,
        enrollment_id=enrollment.id,
        item_id=item.id,
        number=number,
        attempts=attempts,
        reason=reason,
        granted_by_id=by.id,
        granted_at=utcnow(),
    )
    if inserted:  # and in the person's history, beside what else staff did about them
        title = localise(item.title, enrollment.course.language)
        record_action(enrollment.user, by, "attempts_granted", f"{title}: +{attempts}", reason)
    return _grant_numbered(enrollment, number)


def _grant_numbered(enrollment: Enrollment, number: int) -> QuizAttemptGrant:
    return db.session.scalar(
        select(QuizAttemptGrant).where(
            QuizAttemptGrant.enrollment_id == enrollment.id, QuizAttemptGrant.number == number
        )
    )


def has_control_characters(text: str) -> bool:
    """Control characters other than line breaks and tabs (a reason is plain text)."""
    return any((ord(ch) < 32 and ch not in "\n\r\t") or 0x7F <= ord(ch) < 0xA0 for ch in text)


def best_attempt(attempts: list[QuizAttempt]) -> QuizAttempt | None:
    """The attempt that counts: the best score."""
    return max(attempts, key=lambda a: (a.score, -a.number), default=None)


def learner_data_for_items(item_ids: list[int]) -> dict[int, list[str]]:
    """What removing these items would lose of learners' progress and quiz attempts, in
    words, by item (registered with the catalog's importer in app/learning/item_kinds.py)."""
    if not item_ids:
        return {}
    progress = dict(
        db.session.execute(
            select(ItemProgress.item_id, func.count())
            .where(ItemProgress.item_id.in_(item_ids))
            .group_by(ItemProgress.item_id)
        ).all()
    )
    attempts = dict(
        db.session.execute(
            select(QuizAttempt.item_id, func.count())
            .where(QuizAttempt.item_id.in_(item_ids))
            .group_by(QuizAttempt.item_id)
        ).all()
    )
    found = {}
    for i in item_ids:
        if progress.get(i) or attempts.get(i):
            found[i] = [
                f"progress of {progress.get(i, 0)} learner(s)",
                f"{attempts.get(i, 0)} quiz attempt(s)",
            ]
    return found


def dashboard_rows(user: User) -> list[dict]:
    """Each enrolment with what needs the learner now (see `course_statuses`), newest first,
    in a fixed number of queries."""
    return course_statuses([enrollment for enrollment, _offering in places_of(user)])


def course_statuses(enrollments: list[Enrollment]) -> list[dict]:
    """For each enrolment (a seasons.enrollments.Place, or an Enrollment with its course,
    season and cohort loaded): its progress through the required items (done, of, percent),
    the next item, the day it opens if not yet, the latest message of the cohort's tutors and
    the notes other areas register (capstone, certificate): the same few queries for one
    enrolment or two hundred."""
    if not enrollments:
        return []
    outlines = outlines_of({e.course_id: e.course for e in enrollments}.values())
    done: dict[int, set[int]] = {e.id: set() for e in enrollments}
    for row in read_rows(_DONE_IN_PLACES, {"places": list(done)}):
        done[row.enrollment_id].add(row.item_id)
    cohort_ids = [e.cohort_id for e in enrollments if e.cohort_id is not None]
    messages = latest_messages(cohort_ids) if cohort_ids else {}
    notes = notes_for(enrollments)
    rows = []
    for enrollment in enrollments:
        outline, own = outlines[enrollment.course_id], done[enrollment.id]
        required = len(outline.required_ids)
        finished = len(outline.required_ids & own)
        upcoming = next((i for i in outline.items if i.id not in own), None)
        rows.append(
            {
                "enrollment": enrollment,
                "course": enrollment.course,
                "done": finished,
                "required": required,
                "percent": round(100 * finished / required) if required else 0,
                "next": upcoming,  # the item the card leads to (slug, title)
                "opens_on": opens_on(enrollment),
                "message": messages.get(enrollment.cohort_id),
                "notes": notes[enrollment.id],
            }
        )
    return rows


def progress_of_enrollments(enrollments: list[Enrollment]) -> dict[int, tuple[int, int]]:
    """{enrolment id: (required items done, required items)} for many enrolments, two queries."""
    if not enrollments:
        return {}
    course_ids = {e.course_id for e in enrollments}
    required = dict(
        db.session.execute(
            select(Item.course_id, func.count())
            .where(Item.course_id.in_(course_ids), Item.required)
            .group_by(Item.course_id)
        ).all()
    )
    done = dict(
        db.session.execute(
            select(ItemProgress.enrollment_id, func.count())
            .join(Item, Item.id == ItemProgress.item_id)
            .where(ItemProgress.enrollment_id.in_([e.id for e in enrollments]), Item.required)
            .group_by(ItemProgress.enrollment_id)
        ).all()
    )
    return {e.id: (done.get(e.id, 0), required.get(e.course_id, 0)) for e in enrollments}


# The seasons area shows progress on its rosters; it sits below learning, so learning tells it how.
register_progress(progress_of_enrollments)


def quiz_standing(enrollment: Enrollment) -> list[dict]:
    """Each quiz of the learner's course with the attempts made and allowed, whether passed,
    and the grants given (who, when, why), in a fixed number of queries."""
    quizzes = db.session.scalars(
        select(Item)
        .where(Item.course_id == enrollment.course_id, Item.kind == QUIZ)
        .order_by(Item.position)
    ).all()
    made = {
        item_id: (count, bool(passed))
        for item_id, count, passed in db.session.execute(
            select(QuizAttempt.item_id, func.count(), func.max(QuizAttempt.passed.cast(Integer)))
            .where(QuizAttempt.enrollment_id == enrollment.id)
            .group_by(QuizAttempt.item_id)
        )
    }
    grants = db.session.scalars(
        select(QuizAttemptGrant)
        .where(QuizAttemptGrant.enrollment_id == enrollment.id)
        .options(selectinload(QuizAttemptGrant.granted_by))
        .order_by(QuizAttemptGrant.id)
    ).all()
    rows = []
    for quiz in quizzes:
        own = [grant for grant in grants if grant.item_id == quiz.id]
        count, passed = made.get(quiz.id, (0, False))
        limit = attempt_limit(quiz, sum(grant.attempts for grant in own))
        rows.append(
            {
                "item": quiz,
                "made": count,
                "limit": limit,
                "left": None if limit is None else max(0, limit - count),
                "passed": passed,
                "grants": own,
            }
        )
    return rows
