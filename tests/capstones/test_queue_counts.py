"""The tutor queue's figures are kept by the database (app/capstones/queue_counts.py): after
every way a project is created, changes state or goes, the count row of each cohort says
what counting the projects says, on SQLite and PostgreSQL alike."""

from sqlalchemy import delete, func, select

from app.capstones import queue_counts, services
from app.capstones.models import Decision, QueueCount, Submission, SubmissionState
from app.extensions import db
from app.seasons import services as seasons
from app.seasons.models import Enrollment
from tests.capstones.helpers import capstone_cohort, enrolled_learner, enrollment_of, start
from tests.capstones.test_queue import submit_work
from tests.capstones.test_review import FAILING, PASSING


def counted_by_hand() -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    for cohort_id, state, n in db.session.execute(
        select(Submission.cohort_id, Submission.state, func.count()).group_by(
            Submission.cohort_id, Submission.state
        )
    ):
        found.setdefault(cohort_id, dict.fromkeys(queue_counts.STATES, 0))[state.value] = n
    return found


def kept_by_the_database() -> dict[int, dict[str, int]]:
    """The count rows, leaving out cohorts whose every figure is back at 0."""
    kept = {}
    for row in db.session.scalars(select(QueueCount)):
        figures = {state: getattr(row, state) for state in queue_counts.STATES}
        if any(figures.values()):
            kept[row.cohort_id] = figures
    return kept


def review(submission, decision):
    services.review(
        submission,
        submission.cohort.tutors[0],
        seen_token=submission.review_token,
        levels=PASSING if decision == Decision.PASS else FAILING,
        comment="",
        decision=decision,
    )
    db.session.commit()


def test_the_count_table_has_a_column_for_every_state():
    assert tuple(state.value for state in SubmissionState) == queue_counts.STATES
    assert set(queue_counts.STATES) <= set(QueueCount.__table__.columns.keys())


def test_the_counts_follow_every_change_of_the_projects(app, client):
    cohort, other = capstone_cohort(), capstone_cohort()
    learners = [enrolled_learner(cohort) for _ in range(4)]
    elsewhere = enrolled_learner(other)
    drafting = start(learners[0])  # created: a draft
    db.session.commit()
    sent = [submit_work(learner) for learner in learners[1:]]  # draft -> submitted
    submit_work(elsewhere)
    assert kept_by_the_database() == counted_by_hand()
    assert kept_by_the_database()[cohort.id]["submitted"] == 3

    review(sent[0], Decision.REVISE)  # submitted -> revise
    review(sent[1], Decision.PASS)  # submitted -> passed
    assert kept_by_the_database()[cohort.id] == {
        "draft": 1, "submitted": 1, "revise": 1, "passed": 1, "not_passed": 0,
    }  # fmt: skip
    submit_work(learners[1])  # revise -> submitted again
    assert kept_by_the_database() == counted_by_hand()

    # A learner withdrawn by an administrator: their place goes, and its project with it
    # (a cascade the application never sees row by row).
    seasons.withdraw(enrollment_of(learners[2]), by_admin=True)
    db.session.commit()
    assert kept_by_the_database() == counted_by_hand()

    # Rows removed wholesale: a project, then every place in a cohort with their projects.
    db.session.execute(delete(Submission).where(Submission.id == drafting.id))
    db.session.commit()
    assert kept_by_the_database() == counted_by_hand()
    db.session.execute(delete(Enrollment).where(Enrollment.cohort_id == other.id))
    db.session.commit()
    assert other.id not in kept_by_the_database()
    assert kept_by_the_database() == counted_by_hand()


def test_the_queue_shows_the_kept_counts(app, client):
    from tests.conftest import login

    cohort = capstone_cohort()
    for _ in range(3):
        submit_work(enrolled_learner(cohort))
    login(client, cohort.tutors[0])
    main = client.get("/tutor/capstones").get_data(as_text=True)
    assert "To review (3)" in main
    # Counted from the row the database keeps: a figure written there is what the page says.
    db.session.execute(
        QueueCount.__table__.update()
        .where(QueueCount.cohort_id == cohort.id)
        .values(submitted=QueueCount.submitted + 40)
    )
    db.session.commit()
    assert "To review (43)" in client.get("/tutor/capstones").get_data(as_text=True)
