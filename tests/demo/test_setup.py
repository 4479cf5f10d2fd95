"""`flask demo setup` fills every area a little, through the areas' services: coordinators,
the observatory, the network survey, the course directory, a thematic network and a cohort's
board; its accounts are printed with their passwords, and a second run creates nothing twice.
"""

from pathlib import Path

from sqlalchemy import func, select

from app.accounts.models import User
from app.coordinators.models import InstitutionCoordinator
from app.demo.areas import (
    DEMO_COORDINATOR_EMAIL,
    DEMO_LEARNER_EMAIL,
    DEMO_NETWORK_SLUG,
    DEMO_OTHER_COORDINATOR_EMAIL,
)
from app.demo.setup import DEMO_TUTOR_EMAIL
from app.directory.models import MemberCourse
from app.discussions.models import Board, Network, NetworkMember, Post, Thread, ThreadKind
from app.extensions import db
from app.observatory.models import Entry, EntryState
from app.seasons.models import Enrollment
from app.survey.models import Survey, SurveyResponse, SurveyState
from tests.conftest import login
from tests.learning.helpers import import_season

# Every table the demo's areas write, counted before and after a second run.
COUNTED = (User, InstitutionCoordinator, Entry, Survey, SurveyResponse, MemberCourse, Network,
           NetworkMember, Board, Thread, Post, Enrollment)  # fmt: skip


def demo_setup(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["demo", "setup"])
    assert result.exit_code == 0, result.output
    db.session.rollback()  # read what was committed
    return result.output


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in COUNTED
    }


def password_of(demo_app, name: str) -> str:
    return (Path(demo_app.instance_path) / name).read_text().strip()


def user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def test_every_area_is_filled_once_and_its_accounts_are_printed(app, demo_app):
    import_season()

    output = demo_setup(demo_app)
    after_first = counts()
    second = demo_setup(demo_app)

    assert counts() == after_first  # nothing made twice
    # The accounts, each printed with its password, the same one the second time.
    for email, name in [
        (DEMO_COORDINATOR_EMAIL, "demo_coordinator_password"),
        (DEMO_OTHER_COORDINATOR_EMAIL, "demo_coordinator_br_password"),
        (DEMO_LEARNER_EMAIL, "demo_learner_password"),
    ]:
        password = password_of(demo_app, name)
        assert f"email:    {email}\n    password: {password}" in output
        assert password in second
    coordinator, colleague = user(DEMO_COORDINATOR_EMAIL), user(DEMO_OTHER_COORDINATOR_EMAIL)
    learner, tutor = user(DEMO_LEARNER_EMAIL), user(DEMO_TUTOR_EMAIL)
    rows = db.session.scalars(select(InstitutionCoordinator)).all()
    assert {(row.user_id, row.institution_id) for row in rows} == {
        (coordinator.id, coordinator.institution_id),
        (colleague.id, colleague.institution_id),
    }
    assert coordinator.institution.acronym == "SENA" and colleague.institution.acronym == "SENAI"
    assert not (coordinator.is_admin or coordinator.is_tutor)

    # The observatory: published entries in each language, one waiting for review.
    entries = db.session.scalars(select(Entry)).all()
    published = [e for e in entries if e.state == EntryState.PUBLISHED]
    assert len(published) >= 3
    assert {code for e in published for code in e.language_list} == {"es", "pt", "en"}
    assert [e.state for e in entries].count(EntryState.SUBMITTED) == 1

    # The survey: open, translated, answered by two institutions.
    (survey,) = db.session.scalars(select(Survey)).all()
    assert survey.state == SurveyState.OPEN and set(survey.translations) == {"pt", "en"}
    responses = db.session.scalars(select(SurveyResponse)).all()
    assert {r.institution_id for r in responses} == {
        coordinator.institution_id, colleague.institution_id
    }  # fmt: skip
    assert all(len(r.answers) == len(survey.questions) for r in responses)

    # The directory, a network with a conversation, a cohort's board.
    courses = db.session.scalars(select(MemberCourse)).all()
    assert len(courses) >= 3 and {c.language for c in courses} >= {"es", "pt"}
    network = db.session.scalar(select(Network).where(Network.slug == DEMO_NETWORK_SLUG))
    network_threads = db.session.scalars(
        select(Thread).join(Board).where(Board.network_id == network.id)
    ).all()
    assert len(network_threads) == 1 and network_threads[0].reply_count == 1
    (enrollment,) = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == learner.id)
    ).all()
    cohort = enrollment.cohort
    assert cohort is not None and cohort.is_tutor(tutor)
    cohort_threads = db.session.scalars(
        select(Thread).join(Board).where(Board.cohort_id == cohort.id)
    ).all()
    assert sorted(t.kind for t in cohort_threads) == sorted(
        [ThreadKind.DISCUSSION, ThreadKind.PRIVATE]
    )

    # What a person trying the platform sees.
    client = app.test_client()  # each request in its own context, as a server runs it
    spanish = {"Accept-Language": "es"}
    listing = client.get("/observatory/", headers=spanish).get_data(as_text=True)
    assert "Aulas móviles" in listing and "Trilhas digitais" in listing
    listed = client.get("/distance-courses/", headers=spanish).get_data(as_text=True)
    assert "Soldadura básica" in listed
    login(client, coordinator, password_of(demo_app, "demo_coordinator_password"))
    page = client.get(f"/institution/{coordinator.institution_id}/experiences", headers=spanish)
    assert page.status_code == 200 and "Aulas móviles" in page.get_data(as_text=True)
    tutor_client = app.test_client()
    login(tutor_client, tutor, password_of(demo_app, "demo_tutor_password"))
    board = tutor_client.get(f"/discussions/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Presentaciones" in board
    questions = tutor_client.get(f"/discussions/cohorts/{cohort.id}/questions")
    assert "Entrega del proyecto final" in questions.get_data(as_text=True)


def test_without_courses_the_areas_are_filled_but_no_cohort_board(app, demo_app):
    output = demo_setup(demo_app)
    after_first = counts()
    demo_setup(demo_app)

    assert counts() == after_first
    assert user(DEMO_LEARNER_EMAIL) is None and user(DEMO_TUTOR_EMAIL) is None
    assert "no demo cohort" in output
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 4
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 2
    assert DEMO_COORDINATOR_EMAIL in output
