"""Many demo learners at once (`flask demo generate`), for benchmarks and for trying pages
with realistic volumes. Development and testing only (the command refuses production).

Bulk writes into other areas' tables, on purpose. The demo area owns no table, and the rule
is that an area reaches another through its services. But those services work one learner at
a time (an argon2 hash per account, a guarded seat UPDATE and a few queries per enrolment and
per quiz attempt) and stamp everything "now", where the demo needs weeks of past activity;
`make bench` generates 10,000 learners, which through them would take many minutes instead of
seconds. So this module, and only this one, writes rows directly with bulk INSERTs: accounts'
`user`, learning's `enrollment`, `item_progress` and `quiz_attempt`, seasons' cohort seats,
and capstones' `submission`, `submission_version` and `review`.

Where a service is cheap enough it is used: quizzes are graded by `learning.services.grade`,
the seat limit is `seasons.services.SEATS_MAX`, and every completion is certified by
`certificates.services.issue_certificate`. The rules the other services enforce are kept here
by construction: one place per learner, course and season; tutor-led courses in a cohort whose
`seats_taken` equals its enrolments and never passes its seats; quizzes count done when an
attempt passes; a capstone counts done when its review passes; completion when every required
item is done. tests/demo/test_generate.py checks each of them; a change to those tables'
rules must be mirrored here.
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import insert, select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import Institution, Represents, User
from app.accounts.passwords import hash_password
from app.capstones import services as capstones
from app.capstones.models import (
    Decision,
    Review,
    Submission,
    SubmissionState,
    SubmissionVersion,
)
from app.catalog.models import CourseKind, Item
from app.certificates.services import issue_certificate
from app.core.db import utcnow
from app.core.i18n import COUNTRY_TIMEZONES
from app.demo import names
from app.extensions import db
from app.learning.models import ItemProgress, QuizAttempt
from app.learning.services import grade
from app.seasons.models import Cohort, Enrollment, Offering, Season, SeasonState
from app.seasons.services import SEATS_MAX

# Every generated learner signs in with this password. Its hash is computed once per run and
# reused for every row: argon2 takes tens of milliseconds per hash by design, so hashing each
# learner's own password would make 10,000 learners take minutes. Demo data only.
DEMO_LEARNER_PASSWORD = "aula-demo-learner"  # noqa: S105
LEARNER_DOMAIN = "learners.aula.example"


class DemoDataError(Exception):
    """The database is not ready for generated learners; the message says what to run."""


@dataclass
class GenerationReport:
    """What one run made, for the command to print."""

    season: str
    learners: int = 0
    enrollments: int = 0
    enrollments_by_course: Counter = field(default_factory=Counter)
    progress: int = 0
    quiz_attempts: int = 0
    completed: int = 0
    certificates: int = 0
    submissions: Counter = field(default_factory=Counter)
    versions: int = 0
    reviews: int = 0
    seats_raised: list[tuple[str, int, int]] = field(default_factory=list)
    cohorts_full: list[str] = field(default_factory=list)


# Generation ---------------------------------------------------------------------------------


def _open_season() -> Season:
    season = db.session.scalar(
        select(Season)
        .where(Season.state == SeasonState.OPEN)
        .options(
            selectinload(Season.offerings)
            .selectinload(Offering.cohorts)
            .selectinload(Cohort.tutors),
            selectinload(Season.offerings).selectinload(Offering.course),
        )
        .order_by(Season.starts_on.desc(), Season.id.desc())
        .limit(1)
    )
    if season is None or not season.offerings:
        raise DemoDataError(
            "no open season with courses: run `flask content import course_content` "
            "and `flask demo setup` first"
        )
    return season


def _quiz_answers(rng: random.Random, item, passing: bool) -> dict[str, list[str]]:
    """Answers as the quiz form sends them: right ones, or some wrong ones when not passing."""
    questions = item.content["questions"]
    wrong = set()
    if not passing:
        wrong = set(rng.sample(range(len(questions)), k=max(1, len(questions) // 2)))
    answers = {}
    for index, question in enumerate(questions):
        right = index not in wrong
        kind = question["kind"]
        if kind in ("single", "multiple"):
            correct = [str(i) for i, c in enumerate(question["choices"]) if c["correct"]]
            others = [str(i) for i, c in enumerate(question["choices"]) if not c["correct"]]
            answers[str(index)] = correct if right or not others else [others[0]]
        elif kind == "true_false":
            value = bool(question["answer"]) if right else not question["answer"]
            answers[str(index)] = [str(value).lower()]
        else:
            value = float(question["answer"]) + (0 if right else question["tolerance"] + 1)
            answers[str(index)] = [f"{value:g}"]
    return answers


class _Clock:
    """Moments moving forward from a start, never past now."""

    def __init__(self, rng: random.Random, start: datetime, now: datetime):
        self.rng, self.moment, self.now = rng, start, now

    def tick(self, most_hours: float = 48) -> datetime:
        step = timedelta(hours=self.rng.uniform(0.2, most_hours))
        self.moment = min(self.now, self.moment + step)
        return self.moment


def _review_scores(rng: random.Random, rubric: dict, passing: bool) -> list[dict]:
    """A level per criterion: the top levels for a pass, low ones for a revision."""
    scores = []
    for criterion in rubric["criteria"]:
        levels = criterion["levels"]
        level = levels[-1] if passing else levels[rng.randrange(max(1, len(levels) - 1))]
        scores.append(
            {
                "criterion": criterion["title"],
                "level": level.get("title") or level["description"],
                "points": level["points"],
            }
        )
    return scores


def generate_learners(count: int, seed: int | None = None) -> GenerationReport:
    """Add `count` learners enrolled in the open season, with progress, quiz attempts and
    capstone work in tutor-led cohorts. Flushed, not committed."""
    if count < 1:
        raise DemoDataError("the number of learners must be at least 1")
    rng = random.Random(seed)
    now = utcnow()
    season = _open_season()
    report = GenerationReport(season=season.name)
    offerings = list(season.offerings)
    items_by_course: dict[int, list[Item]] = defaultdict(list)
    for item in db.session.scalars(
        select(Item)
        .where(Item.course_id.in_([o.course_id for o in offerings]))
        .order_by(Item.course_id, Item.position)
    ):
        items_by_course[item.course_id].append(item)
    institutions = list(
        db.session.scalars(select(Institution).where(Institution.active).order_by(Institution.id))
    )
    password_hash = hash_password(DEMO_LEARNER_PASSWORD)  # once, for every learner (see above)
    taken_emails = set(
        db.session.scalars(select(User.email).where(User.email.like(f"%@{LEARNER_DOMAIN}")))
    )
    number = len(taken_emails)

    # Learners -------------------------------------------------------------------------------
    user_rows = []
    for _ in range(count):
        if institutions and rng.random() < 0.85:
            institution = rng.choice(institutions)
            country, institution_id, other = institution.country_code, institution.id, None
            represents = Represents.VTI
        else:
            country = rng.choice(sorted(COUNTRY_TIMEZONES))
            institution_id = None
            other, represents = rng.choice(names.OTHER_ORGANISATIONS)
        language = names.language_of(country)
        name = names.full_name(rng, language)
        number += 1
        email = f"{names.email_part(name)}.{number}@{LEARNER_DOMAIN}"
        while email in taken_emails:
            number += 1
            email = f"{names.email_part(name)}.{number}@{LEARNER_DOMAIN}"
        taken_emails.add(email)
        created = now - timedelta(days=rng.uniform(1, 60))
        user_rows.append(
            {
                "email": email,
                "full_name": name,
                "password_hash": password_hash,
                "country_code": country,
                "institution_id": institution_id,
                "institution_other": other,
                "represents": represents,
                "locale": language,
                "timezone": COUNTRY_TIMEZONES.get(country, "UTC"),
                "is_tutor": False,
                "is_admin": False,
                "email_confirmed_at": created + timedelta(minutes=rng.uniform(1, 120)),
                "created_at": created,
                "password_changed_at": created,
            }
        )
    user_ids = db.session.scalars(
        insert(User).returning(User.id, sort_by_parameter_order=True), user_rows
    ).all()
    report.learners = len(user_ids)

    # Places: one per learner and course; tutor-led courses in a cohort with a seat ----------
    seats_free = {
        cohort.id: SEATS_MAX - cohort.seats_taken for o in offerings for cohort in o.cohorts
    }
    popularity = [3 if o.course.kind == CourseKind.SELF_PACED else 2 for o in offerings]
    added_to_cohort: Counter = Counter()
    enrollment_rows, row_offering = [], []
    for user_id, user_row in zip(user_ids, user_rows, strict=True):
        how_many = min(len(offerings), rng.choices((1, 2, 3, 4), weights=(50, 30, 15, 5))[0])
        chosen: list[Offering] = []
        while len(chosen) < how_many:
            offering = rng.choices(offerings, weights=popularity)[0]
            if offering not in chosen:
                chosen.append(offering)
        for offering in chosen:
            cohort_id = None
            if offering.course.kind == CourseKind.TUTOR_LED:
                open_cohorts = [c for c in offering.cohorts if seats_free[c.id] > 0]
                if not open_cohorts:
                    continue  # no cohort (or every one at the seat limit): no place
                cohort = rng.choice(open_cohorts)
                cohort_id = cohort.id
                seats_free[cohort.id] -= 1
                added_to_cohort[cohort.id] += 1
            enrolled = user_row["created_at"] + (now - user_row["created_at"]) * rng.random() * 0.3
            enrollment_rows.append(
                {
                    "user_id": user_id,
                    "course_id": offering.course_id,
                    "season_id": season.id,
                    "cohort_id": cohort_id,
                    "enrolled_at": enrolled,
                    "completed_at": None,
                }
            )
            row_offering.append(offering)

    # Seats first, through the model, then the taken count with a guarded UPDATE: the database
    # refuses a cohort over its seats, so a mistake here fails loudly instead of over-filling.
    for offering in offerings:
        for cohort in offering.cohorts:
            added = added_to_cohort[cohort.id]
            if cohort.seats_taken + added > cohort.seats:
                label = f"{offering.course.slug} / {cohort.name}"
                report.seats_raised.append((label, cohort.seats, cohort.seats_taken + added))
                cohort.seats = cohort.seats_taken + added
            if seats_free[cohort.id] == 0:
                report.cohorts_full.append(f"{offering.course.slug} / {cohort.name}")
    db.session.flush()
    for cohort_id, added in added_to_cohort.items():
        moved = db.session.execute(
            update(Cohort)
            .where(Cohort.id == cohort_id, Cohort.seats_taken + added <= Cohort.seats)
            .values(seats_taken=Cohort.seats_taken + added)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            raise DemoDataError(f"cohort {cohort_id} has no room for {added} more learners")
    if not enrollment_rows:
        return report
    enrollment_ids = db.session.scalars(
        insert(Enrollment).returning(Enrollment.id, sort_by_parameter_order=True),
        enrollment_rows,
    ).all()
    report.enrollments = len(enrollment_ids)

    # Progress, quiz attempts and capstone work ----------------------------------------------
    progress_rows, attempt_rows, completions = [], [], []
    submission_plans = []  # (submission row, [version plans])
    for enrollment_id, row in zip(enrollment_ids, enrollment_rows, strict=True):
        report.enrollments_by_course[row["course_id"]] += 1
        items = items_by_course[row["course_id"]]
        clock = _Clock(rng, row["enrolled_at"], now)
        in_cohort = row["cohort_id"] is not None
        # How far the learner got: some not started, many partway, some to the end. In
        # cohorts more reach the capstone, so that tutors have work waiting.
        reach = rng.random()
        if reach < 0.15:
            reached = 0
        elif reach < (0.55 if in_cohort else 0.8):
            reached = rng.randint(1, max(1, len(items) - 1))
        else:
            reached = len(items)
        done_required = 0
        last_done = None
        for item in items[:reached]:
            done = True
            if item.kind == "quiz":
                limit = item.content["max_attempts"]
                failures = 1 if (limit == 0 or limit > 1) and rng.random() < 0.25 else 0
                for attempt in range(1, failures + 2):
                    answers = _quiz_answers(rng, item, passing=attempt == failures + 1)
                    results = grade(item, answers)
                    score = round(100 * sum(results) / len(results))
                    attempt_rows.append(
                        {
                            "enrollment_id": enrollment_id,
                            "item_id": item.id,
                            "number": attempt,
                            "answers": answers,
                            "results": results,
                            "score": score,
                            "passed": score >= item.content["pass_mark"],
                            "submitted_at": clock.tick(),
                        }
                    )
                    if attempt_rows[-1]["passed"]:
                        break  # a lenient pass mark: the "failing" try passed
                done = attempt_rows[-1]["passed"]
            elif item.kind == "capstone":
                if not in_cohort:
                    done = False
                else:
                    state = rng.choices(
                        (SubmissionState.SUBMITTED, SubmissionState.REVISE, SubmissionState.PASSED),
                        weights=(50, 20, 30),
                    )[0]
                    done = state == SubmissionState.PASSED
                    submission_plans.append(
                        _plan_submission(rng, clock, enrollment_id, row, item, state)
                    )
            if done:
                progress_rows.append(
                    {"enrollment_id": enrollment_id, "item_id": item.id, "done_at": clock.tick()}
                )
                last_done = progress_rows[-1]["done_at"]
                done_required += item.required
        # A learner stopped at a quiz has often tried it once without passing.
        if reached < len(items) and items[reached].kind == "quiz" and rng.random() < 0.3:
            item = items[reached]
            answers = _quiz_answers(rng, item, passing=False)
            results = grade(item, answers)
            score = round(100 * sum(results) / len(results))
            if score < item.content["pass_mark"]:
                attempt_rows.append(
                    {
                        "enrollment_id": enrollment_id,
                        "item_id": item.id,
                        "number": 1,
                        "answers": answers,
                        "results": results,
                        "score": score,
                        "passed": False,
                        "submitted_at": clock.tick(),
                    }
                )
        required = sum(1 for item in items if item.required)
        if required and done_required == required:
            completions.append((enrollment_id, last_done))

    if progress_rows:
        db.session.execute(insert(ItemProgress), progress_rows)
    if attempt_rows:
        db.session.execute(insert(QuizAttempt), attempt_rows)
    for enrollment_id, completed_at in completions:
        report.completed += 1
        db.session.execute(
            update(Enrollment)
            .where(Enrollment.id == enrollment_id)
            .values(completed_at=completed_at)
            .execution_options(synchronize_session=False)
        )
    report.progress, report.quiz_attempts = len(progress_rows), len(attempt_rows)
    _write_submissions(rng, submission_plans, report)
    db.session.flush()
    # Completions written in bulk skip the course_completed signal: certify them here. Their
    # PDFs are made on first download (or by `flask certificates issue --season`).
    db.session.expire_all()
    for enrollment_id, _completed_at in completions:
        issue_certificate(enrollment_id, render=False)
        report.certificates += 1
    return report


def _plan_submission(rng, clock, enrollment_id, row, item, state) -> SimpleNamespace:
    """A submission in `state` with its versions and reviews, in the order they happened."""
    allowed = int(item.content.get("max_attempts", 3))
    # A revision asked for, then a new version: only where another attempt is allowed.
    revised_first = allowed > 1 and state != SubmissionState.REVISE and rng.random() < 0.35
    events = []  # ("version", number, moment) and ("review", number, decision, moment)
    if revised_first:
        events.append(("version", 1, clock.tick(96)))
        events.append(("review", 1, Decision.REVISE, clock.tick(72)))
        events.append(("version", 2, clock.tick(96)))
    else:
        events.append(("version", 1, clock.tick(96)))
    versions = events[-1][1]
    if state == SubmissionState.REVISE:
        events.append(("review", versions, Decision.REVISE, clock.tick(72)))
    elif state == SubmissionState.PASSED:
        events.append(("review", versions, Decision.PASS, clock.tick(72)))
    reviews = [e for e in events if e[0] == "review"]
    submitted_at = max(e[2] for e in events if e[0] == "version")
    return SimpleNamespace(
        row={
            "enrollment_id": enrollment_id,
            "item_id": item.id,
            "cohort_id": row["cohort_id"],
            "state": state,
            "draft_text": _project_text(versions),
            "versions": versions,
            "review_token": len(events),  # one step for every submission and every review
            "submitted_at": submitted_at,
            "decided_at": reviews[-1][3] if reviews else None,
            "extended_until": None,
            "created_at": events[0][2] - timedelta(hours=rng.uniform(1, 72)),
        },
        item=item,
        events=events,
    )


def _project_text(number: int) -> str:
    return (
        "Proyecto final: diagnóstico de la institución, objetivos, plan de acción con "
        "responsables y plazos, e indicadores de seguimiento."
        + (" Versión revisada según los comentarios de la tutoría." if number > 1 else "")
    )


def _write_submissions(
    rng: random.Random, plans: list[SimpleNamespace], report: GenerationReport
) -> None:
    """Insert the planned submissions, their versions, then the reviews of those versions."""
    if not plans:
        return
    tutors = dict(
        db.session.execute(
            select(Cohort.id, User.id)
            .join(Cohort.tutors)
            .where(Cohort.id.in_({p.row["cohort_id"] for p in plans}))
            .order_by(Cohort.id, User.id)
        ).all()
    )
    submission_ids = db.session.scalars(
        insert(Submission).returning(Submission.id, sort_by_parameter_order=True),
        [p.row for p in plans],
    ).all()
    version_rows, review_plans = [], []
    for submission_id, plan in zip(submission_ids, plans, strict=True):
        report.submissions[plan.row["state"].value] += 1
        for event in plan.events:
            if event[0] == "version":
                version_rows.append(
                    {
                        "submission_id": submission_id,
                        "number": event[1],
                        "text": _project_text(event[1]),
                        "late": False,
                        "submitted_at": event[2],
                    }
                )
            else:
                review_plans.append((submission_id, plan, event))
    version_ids = db.session.scalars(
        insert(SubmissionVersion).returning(SubmissionVersion.id, sort_by_parameter_order=True),
        version_rows,
    ).all()
    version_of = {
        (row["submission_id"], row["number"]): version_id
        for version_id, row in zip(version_ids, version_rows, strict=True)
    }
    review_rows = []
    rubrics = capstones.rubrics_of(list({plan.item.id for _s, plan, _r in review_plans}))
    for submission_id, plan, (_kind, number, decision, moment) in review_plans:
        rubric = rubrics[plan.item.id]
        scores = _review_scores(rng, rubric, passing=decision == Decision.PASS)
        review_rows.append(
            {
                "submission_id": submission_id,
                "version_id": version_of[(submission_id, number)],
                "tutor_id": tutors.get(plan.row["cohort_id"]),
                "scores": scores,
                "points": sum(s["points"] for s in scores),
                "pass_threshold": rubric["pass_threshold"],
                "comment": "Buen trabajo." if decision == Decision.PASS else "Revisa el plan.",
                "decision": decision,
                "created_at": moment,
            }
        )
    if review_rows:
        db.session.execute(insert(Review), review_rows)
    report.versions, report.reviews = len(version_rows), len(review_rows)
