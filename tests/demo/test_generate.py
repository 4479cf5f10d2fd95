"""`flask demo generate`: bulk demo learners that keep the rules the services enforce."""

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.capstones.models import Review, Submission, SubmissionState, SubmissionVersion
from app.catalog.models import Course, CourseKind, Item
from app.demo import generate as demo_data
from app.extensions import db
from app.learning.models import ItemProgress, QuizAttempt
from app.seasons.models import Cohort, Enrollment
from tests.conftest import login
from tests.learning.helpers import import_season
from tests.seasons.factories import make_cohort, make_season, offering_for


@pytest.fixture
def demo_season(institutions, make_user):
    """The real courses in an open season, one small cohort per tutor-led course."""
    tutor = make_user(role=Role.TUTOR, email="tutor@aula.example")
    season = make_season()
    for course in import_season():
        offering_for(course, season)
        if course.kind == CourseKind.TUTOR_LED:
            # Fewer seats than 30 learners need: the generator must raise them.
            make_cohort(course, season=season, name="A", seats=3, tutors=[tutor])
    db.session.commit()
    return season


def generate(count=30, seed=7):
    report = demo_data.generate_learners(count, seed)
    db.session.commit()
    return report


def test_cohort_seats_match_enrollments_and_stay_within_seats(demo_season):
    report = generate()
    assert report.learners == 30
    assert report.seats_raised, "3 seats cannot hold 30 learners' places"
    cohorts = db.session.scalars(select(Cohort)).all()
    assert cohorts
    for cohort in cohorts:
        db.session.refresh(cohort)
        enrolled = db.session.scalar(
            select(func.count()).select_from(Enrollment).where(Enrollment.cohort_id == cohort.id)
        )
        assert cohort.seats_taken == enrolled
        assert cohort.seats_taken <= cohort.seats


def test_one_place_per_learner_course_and_season_in_a_cohort_only_when_tutor_led(demo_season):
    generate()
    duplicates = db.session.execute(
        select(Enrollment.user_id, Enrollment.course_id, Enrollment.season_id)
        .group_by(Enrollment.user_id, Enrollment.course_id, Enrollment.season_id)
        .having(func.count() > 1)
    ).all()
    assert duplicates == []
    rows = db.session.execute(
        select(Enrollment, Course.kind).join(Course, Course.id == Enrollment.course_id)
    ).all()
    assert len(rows) >= 30
    for enrollment, kind in rows:
        assert enrollment.season_id == demo_season.id
        if kind == CourseKind.TUTOR_LED:
            assert enrollment.cohort is not None
            assert enrollment.cohort.offering.course_id == enrollment.course_id
        else:
            assert enrollment.cohort_id is None


def test_progress_and_attempts_only_on_items_of_the_enrolled_course(demo_season):
    report = generate()
    assert report.progress > 0 and report.quiz_attempts > 0
    for model in (ItemProgress, QuizAttempt):
        mismatched = db.session.scalar(
            select(func.count())
            .select_from(model)
            .join(Enrollment, Enrollment.id == model.enrollment_id)
            .join(Item, Item.id == model.item_id)
            .where(Item.course_id != Enrollment.course_id)
        )
        assert mismatched == 0, model
    # Quizzes count done once an attempt passes; only quizzes have attempts.
    kinds = set(
        db.session.scalars(select(Item.kind).join(QuizAttempt, QuizAttempt.item_id == Item.id))
    )
    assert kinds == {"quiz"}
    done_quizzes = db.session.execute(
        select(ItemProgress.enrollment_id, ItemProgress.item_id)
        .join(Item, Item.id == ItemProgress.item_id)
        .where(Item.kind == "quiz")
    ).all()
    passed = set(
        db.session.execute(
            select(QuizAttempt.enrollment_id, QuizAttempt.item_id).where(QuizAttempt.passed)
        ).all()
    )
    assert done_quizzes and set(done_quizzes) == passed


def test_completion_matches_required_items_done(demo_season):
    generate()
    for enrollment in db.session.scalars(select(Enrollment)):
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
        assert (enrollment.completed_at is not None) == (done == required)


def test_submissions_belong_to_tutor_led_cohort_enrollments(demo_season):
    report = generate(count=60)
    submissions = db.session.scalars(select(Submission)).all()
    assert submissions and sum(report.submissions.values()) == len(submissions)
    assert {s.state for s in submissions} <= {
        SubmissionState.SUBMITTED,
        SubmissionState.REVISE,
        SubmissionState.PASSED,
    }
    for submission in submissions:
        enrollment = submission.enrollment
        assert enrollment.cohort_id is not None
        assert submission.cohort_id == enrollment.cohort_id
        assert submission.item.kind == "capstone"
        assert submission.item.course_id == enrollment.course_id
        assert enrollment.course.kind == CourseKind.TUTOR_LED
        assert [v.number for v in submission.history] == list(range(1, submission.versions + 1))
        last = submission.history[-1]
        review = db.session.scalar(select(Review).where(Review.version_id == last.id))
        capstone_done = db.session.scalar(
            select(ItemProgress.id).where(
                ItemProgress.enrollment_id == enrollment.id,
                ItemProgress.item_id == submission.item_id,
            )
        )
        if submission.state == SubmissionState.SUBMITTED:
            assert review is None
        else:
            assert review is not None and review.tutor_id is not None
            assert (review.points >= review.pass_threshold) or (
                submission.state == SubmissionState.REVISE
            )
        assert (capstone_done is not None) == (submission.state == SubmissionState.PASSED)
    versions = db.session.scalar(select(func.count()).select_from(SubmissionVersion))
    assert versions == report.versions


def test_a_second_run_adds_learners_with_new_emails_who_can_sign_in(demo_season, client):
    generate(count=10, seed=1)
    generate(count=10, seed=1)  # the same seed draws the same names: emails must still differ
    learners = db.session.scalars(
        select(User).where(User.email.like(f"%@{demo_data.LEARNER_DOMAIN}"))
    ).all()
    assert len(learners) == 10 + 10
    assert len({learner.email for learner in learners}) == 20
    login(client, learners[-1], password=demo_data.DEMO_LEARNER_PASSWORD)
    assert client.get("/dashboard").status_code == 200


def test_the_command_prints_what_it_made_and_refuses_production(demo_season, app, monkeypatch):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "generate", "--learners", "5", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "5 learners added" in result.output
    assert demo_data.DEMO_LEARNER_PASSWORD in result.output
    monkeypatch.setitem(app.config, "AULA_ENV", "production")
    result = runner.invoke(args=["demo", "generate", "--learners", "5"])
    assert result.exit_code != 0
    assert "production" in result.output


def test_without_an_open_season_the_command_says_what_to_run(app, institutions):
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--learners", "5"])
    assert result.exit_code != 0
    assert "flask demo setup" in result.output
