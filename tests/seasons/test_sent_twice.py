"""Every state change a person can send twice acts once: the second copy finds the state it
expects gone and changes nothing; an id, once used, never names another row (SQLite too); a
full cohort answers with a page that says so and offers the waiting list.

The same requests sent at the same moment to a real server: test_seats_under_load.py.
"""

from html import unescape

import pytest
from sqlalchemy import func, select, text

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.extensions import db
from app.seasons import services
from app.seasons.models import Cohort, Enrollment, WaitlistEntry
from tests.conftest import csrf_token, login, outbox
from tests.learning.helpers import build_course
from tests.seasons.factories import enroll, make_cohort

SLUG = "tutored-twice"

# Tables whose rows are deleted while their ids travel in URLs and forms (or whose order is
# their ids' order): on SQLite, AUTOINCREMENT keeps a deleted row's id from being used again.
NEVER_REUSED = (
    "season",
    "season_course",
    "cohort",
    "waitlist_entry",
    "enrollment",
    "course_item",
    "capstone_submission",
)


@pytest.fixture
def course(app):
    course = build_course(SLUG, kind=CourseKind.TUTOR_LED, languages=["es"], modules=1)
    db.session.commit()
    return course


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def press(client, url, page):
    """A button-only form, sent with the CSRF token of the page it is on."""
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def full_cohort_with_a_line(course, make_user, waiting=2):
    """A one-seat cohort, its holder, and `waiting` learners in line."""
    cohort = make_cohort(course, seats=1)
    holder = make_user(full_name="Hilda Holder", locale="en")
    enroll(holder, course, cohort)
    line = [make_user(full_name=f"Waiting {n}", locale="en") for n in range(waiting)]
    for user in line:
        services.join_waitlist(user, cohort)
    db.session.commit()
    return cohort, holder, line


def test_an_administrators_remove_sent_twice_removes_one_learner(
    client, login_as, course, make_user
):
    login_as(Role.ADMIN, locale="en")
    cohort, holder, (first, second) = full_cohort_with_a_line(course, make_user)
    place = db.session.scalar(select(Enrollment).where(Enrollment.user_id == holder.id))
    url = f"/admin/enrollments/{place.id}/remove"
    token = csrf_token(client, url)

    data = {"csrf_token": token, "reason": "Withdrew by mail"}
    assert client.post(url, data=data).status_code == 302
    again = client.post(url, data=data)

    assert again.status_code == 404  # that place is gone; the id names no other
    assert count(Enrollment, Enrollment.user_id == first.id, Enrollment.cohort_id == cohort.id)
    assert count(WaitlistEntry, WaitlistEntry.user_id == second.id) == 1
    assert count(Enrollment) == 1
    assert db.session.get(Cohort, cohort.id).seats_taken == 1
    assert [m.subject for m in outbox(first.email)] == ["A seat is yours"]
    assert outbox(second.email) == []


def test_a_withdrawal_sent_twice_frees_one_seat(client, course, make_user):
    cohort, holder, (first, second) = full_cohort_with_a_line(course, make_user)
    login(client, holder)
    url = f"/learn/{SLUG}/withdraw"
    token = csrf_token(client, url)

    for _ in range(2):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302

    assert count(Enrollment) == 1
    assert count(Enrollment, Enrollment.user_id == first.id) == 1
    assert count(WaitlistEntry, WaitlistEntry.user_id == second.id) == 1
    assert db.session.get(Cohort, cohort.id).seats_taken == 1


def test_withdraw_acts_only_on_the_place_it_was_given(app, course, make_user):
    """The service with a place read before someone else's request removed it (what a second
    copy of the form holds): nothing is deleted, no seat is freed, nobody is promoted."""
    cohort, holder, (first, second) = full_cohort_with_a_line(course, make_user)
    place = db.session.scalar(select(Enrollment).where(Enrollment.user_id == holder.id))
    stale = Enrollment(
        id=place.id,
        user_id=place.user_id,
        course_id=place.course_id,
        season_id=place.season_id,
        cohort_id=place.cohort_id,
    )
    assert services.withdraw(place) == [first]
    db.session.commit()

    assert services.withdraw(stale, by_admin=True) == []
    db.session.commit()

    assert count(Enrollment, Enrollment.user_id == first.id) == 1
    assert count(WaitlistEntry, WaitlistEntry.user_id == second.id) == 1
    assert db.session.get(Cohort, cohort.id).seats_taken == 1


def test_a_full_cohort_answers_with_its_reason_and_the_waiting_list_button(
    client, course, make_user
):
    cohort, _holder, _line = full_cohort_with_a_line(course, make_user, waiting=0)
    late = make_user(locale="en")
    login(client, late)

    response = press(client, f"/cohorts/{cohort.id}/enrol", f"/courses/{SLUG}")

    assert response.status_code == 409
    assert "Location" not in response.headers
    page = unescape(response.get_data(as_text=True))
    assert "Redirecting" not in page
    assert "This cohort is full. You can join its waiting list." in page
    action = f'action="/cohorts/{cohort.id}/waitlist"'
    assert action in page and "Join the waiting list" in page
    # The button on that page works.
    joined = press(client, f"/cohorts/{cohort.id}/waitlist", f"/courses/{SLUG}")
    assert joined.status_code == 302
    assert count(WaitlistEntry, WaitlistEntry.user_id == late.id) == 1


def test_a_deleted_enrollments_id_is_never_used_again(app, course, make_user):
    cohort = make_cohort(course, seats=5)
    first = enroll(make_user(), course, cohort)
    db.session.commit()
    gone = first.id
    services.withdraw(first)
    db.session.commit()

    second = enroll(make_user(), course, cohort)
    db.session.commit()

    assert second.id > gone


def sqlite_table_sql(connection) -> dict[str, str]:
    rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    return {name: sql for name, sql in rows}


def test_on_sqlite_the_tables_whose_ids_travel_never_reuse_one(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL sequences never hand out an id twice")
    with db.engine.connect() as connection:
        tables = sqlite_table_sql(connection)
    missing = [name for name in NEVER_REUSED if "AUTOINCREMENT" not in tables[name]]
    assert missing == []
