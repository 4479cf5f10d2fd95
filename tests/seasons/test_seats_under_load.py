"""Seats and waiting lists hold under real concurrency: many signed-in learners hit a running
gunicorn server (4 workers x 16 threads) at the same moment, on the test database (SQLite, or
PostgreSQL through TEST_DATABASE_URL)."""

from collections import Counter
from html import unescape

import pytest
from sqlalchemy import func, select

from app.catalog.models import CourseKind
from app.extensions import db
from app.seasons import services
from app.seasons.models import Cohort, Enrollment, WaitlistEntry
from tests.conftest import outbox
from tests.learning.helpers import build_course
from tests.seasons.factories import enroll, make_cohort
from tests.seasons.live_server import (  # noqa: F401 - fixtures
    Browser,
    Reply,
    burst,
    live_server_fixture,
    most_in_flight,
    server_log_fixture,
)

SLUG = "tutored-load"
COURSE_PAGE = f"/courses/{SLUG}"
FULL = "This cohort is full. You can join its waiting list."
LEARNERS = 60


@pytest.fixture
def course(app):
    course = build_course(SLUG, kind=CourseKind.TUTOR_LED, languages=["es"], modules=1)
    db.session.commit()
    return course


@pytest.fixture
def learners(make_user):
    """Factory: `count` learners who read the site in English."""

    def make(count):
        return [make_user(locale="en") for _ in range(count)]

    return make


def signed_in(live_server, users):
    """A Browser per user, each signed in through the login form (one after the other)."""
    return [Browser(live_server).sign_in(user) for user in users]


def committed(cohort_id):
    """The cohort as the database holds it now: seats, seats taken, enrolled user ids."""
    db.session.rollback()
    db.session.expire_all()
    cohort = db.session.get(Cohort, cohort_id)
    enrolled = set(
        db.session.scalars(select(Enrollment.user_id).where(Enrollment.cohort_id == cohort_id))
    )
    return cohort.seats, cohort.seats_taken, enrolled


def waiting(cohort_id):
    """User ids on the cohort's waiting list, first in line first."""
    db.session.rollback()
    return list(
        db.session.scalars(
            select(WaitlistEntry.user_id)
            .where(WaitlistEntry.cohort_id == cohort_id)
            .order_by(WaitlistEntry.id)
        )
    )


def assert_no_server_errors(live_server, since, replies):
    print(f"{len(replies)} requests, at most {most_in_flight(replies)} in flight at once")
    broken = [r for r in replies if not isinstance(r, Reply) or r.status >= 500]
    assert broken == [], broken[:5]
    logged = Counter(status for status, _method, _path in live_server.statuses_since(since))
    assert not [s for s in logged if s >= 500], logged
    assert live_server.trouble_since(since) == []


def test_sixty_learners_race_for_the_last_seat_and_exactly_one_gets_it(
    live_server, server_log, course, learners
):
    seats = 5
    cohort = make_cohort(course, seats=seats)
    for user in learners(seats - 1):
        enroll(user, course, cohort)
    db.session.commit()
    cohort_id = cohort.id
    assert committed(cohort_id)[1] == seats - 1

    racers = learners(LEARNERS)
    browsers = signed_in(live_server, racers)
    url = f"/cohorts/{cohort_id}/enrol"
    requests = [b.prepare("POST", url, {"csrf_token": b.csrf(COURSE_PAGE)}) for b in browsers]
    db.session.commit()  # the test holds no transaction while the server works

    replies = burst(requests)

    assert_no_server_errors(live_server, server_log, replies)
    answers = Counter((r.status, r.location) for r in replies)
    assert answers == {
        (302, f"/learn/{SLUG}"): 1,
        (409, ""): LEARNERS - 1,
    }, answers
    # The 409s are the "full" page itself (a browser shows a 4xx body, it follows no
    # redirect): the reason and the button that joins the waiting list.
    for reply in replies:
        if reply.status == 409:
            assert FULL in unescape(reply.text)
            assert f'action="/cohorts/{cohort_id}/waitlist"' in reply.text
            assert "Join the waiting list" in reply.text
    winner = racers[[r.status for r in replies].index(302)]

    total, taken, enrolled = committed(cohort_id)
    assert taken == total == seats
    assert len(enrolled) == seats and winner.id in enrolled
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == seats


def test_one_learner_firing_at_two_cohorts_holds_one_place(
    live_server, server_log, course, learners
):
    first = make_cohort(course, name="Morning", seats=10)
    second = make_cohort(course, name="Evening", seats=10)
    db.session.commit()
    cohort_ids = (first.id, second.id)
    (learner,) = learners(1)
    (browser,) = signed_in(live_server, [learner])
    token = browser.csrf(COURSE_PAGE)
    requests = [
        browser.prepare("POST", f"/cohorts/{cohort_id}/enrol", {"csrf_token": token})
        for cohort_id in cohort_ids
        for _ in range(10)
    ]
    db.session.commit()

    replies = burst(requests)

    assert_no_server_errors(live_server, server_log, replies)
    db.session.rollback()
    places = list(db.session.scalars(select(Enrollment).where(Enrollment.user_id == learner.id)))
    assert len(places) == 1, [(p.id, p.cohort_id) for p in places]
    held = places[0].cohort_id
    assert held in cohort_ids
    assert sum(committed(cohort_id)[1] for cohort_id in cohort_ids) == 1
    assert committed(held)[1] == 1
    # Every request to the cohort held lands in the course; every other one is refused and
    # sent back to the course page.
    for cohort_id, reply in zip([c for c in cohort_ids for _ in range(10)], replies, strict=True):
        expected = f"/learn/{SLUG}" if cohort_id == held else COURSE_PAGE
        assert (reply.status, reply.location) == (302, expected), (cohort_id, reply)


def test_the_waiting_list_keeps_its_order_under_concurrency(
    live_server, server_log, course, learners
):
    cohort = make_cohort(course, seats=3)
    holders = learners(3)
    for user in holders:
        enroll(user, course, cohort)
    db.session.commit()
    cohort_id = cohort.id
    queuers = learners(20)
    by_id = {user.id: user for user in queuers}
    holder_browsers = signed_in(live_server, holders)
    queuer_browsers = dict(
        zip([u.id for u in queuers], signed_in(live_server, queuers), strict=True)
    )

    # Twenty learners join the waiting list of the full cohort at the same moment.
    url = f"/cohorts/{cohort_id}/waitlist"
    requests = [
        b.prepare("POST", url, {"csrf_token": b.csrf(COURSE_PAGE)})
        for b in queuer_browsers.values()
    ]
    db.session.commit()
    replies = burst(requests)

    assert_no_server_errors(live_server, server_log, replies)
    assert Counter((r.status, r.location) for r in replies) == {(302, COURSE_PAGE): 20}
    line = waiting(cohort_id)
    assert len(line) == 20 and set(line) == set(by_id)
    assert committed(cohort_id)[1:] == (3, {u.id for u in holders})
    # Each learner's course page shows their true place in line.
    for position, user_id in enumerate(line, start=1):
        page = queuer_browsers[user_id].get(COURSE_PAGE).text
        assert f"You are number {position} on the waiting list." in page, (position, user_id)

    # The three holders withdraw at the same moment: the first three in line get the seats.
    withdraw = f"/learn/{SLUG}/withdraw"
    requests = [
        b.prepare("POST", withdraw, {"csrf_token": b.csrf(withdraw)}) for b in holder_browsers
    ]
    db.session.commit()
    mark = live_server.log_size()
    replies = burst(requests)

    assert_no_server_errors(live_server, mark, replies)
    assert Counter((r.status, r.location) for r in replies) == {(302, COURSE_PAGE): 3}
    total, taken, enrolled = committed(cohort_id)
    assert taken == 3 and total == 3
    assert enrolled == set(line[:3])
    assert waiting(cohort_id) == line[3:]
    for user_id in line[:3]:
        mails = outbox(by_id[user_id].email)
        assert len(mails) == 1, (user_id, [m.subject for m in mails])
        assert mails[0].subject == "A seat is yours"
    for user_id in line[3:]:
        assert outbox(by_id[user_id].email) == []
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 3
    # Those still waiting moved up three places.
    for position, user_id in enumerate(line[3:], start=1):
        page = queuer_browsers[user_id].get(COURSE_PAGE).text
        assert f"You are number {position} on the waiting list." in page, (position, user_id)


@pytest.mark.parametrize("copies", [2, 5])
def test_a_withdrawal_sent_several_times_at_once_frees_one_seat_for_the_first_in_line(
    live_server, server_log, course, learners, copies
):
    """A double (or quintuple) click on "Withdraw": one seat is freed, once, and it goes to
    the first in line, who keeps it; the others still wait, in order."""
    cohort = make_cohort(course, seats=1)
    holder, *line = learners(5)
    enroll(holder, course, cohort)
    for user in line:
        services.join_waitlist(user, cohort)
    db.session.commit()
    cohort_id = cohort.id
    line_ids = [user.id for user in line]
    assert waiting(cohort_id) == line_ids
    (browser,) = signed_in(live_server, [holder])
    withdraw = f"/learn/{SLUG}/withdraw"
    token = browser.csrf(withdraw)
    requests = [browser.prepare("POST", withdraw, {"csrf_token": token}) for _ in range(copies)]
    db.session.commit()

    replies = burst(requests)

    assert_no_server_errors(live_server, server_log, replies)
    assert Counter((r.status, r.location) for r in replies) == {(302, COURSE_PAGE): copies}
    total, taken, enrolled = committed(cohort_id)
    assert (total, taken) == (1, 1)
    assert enrolled == {line_ids[0]}
    assert waiting(cohort_id) == line_ids[1:]
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
    assert [m.subject for m in outbox(line[0].email)] == ["A seat is yours"]
    for user in line[1:]:
        assert outbox(user.email) == []
