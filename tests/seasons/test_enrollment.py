"""Learners enrol in cohorts and self-paced courses of the open season, queue when a cohort
is full, withdraw before it starts; windows, closed seasons and seats are enforced."""

from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.extensions import db
from app.learning import services as learning
from app.seasons import enrollments, services
from app.seasons.models import (
    Cohort,
    Enrollment,
    SeasonState,
    WaitlistEntry,
    day_begins,
    day_ends,
    within,
)
from tests.conftest import csrf_token, outbox
from tests.learning.helpers import SMALL, build_course, counting_queries, flashes, main_of
from tests.seasons.factories import days, enroll, make_cohort, make_season, offering_for

TUTORED = "tutored"


@pytest.fixture
def tutored(app):
    course = build_course(TUTORED, kind=CourseKind.TUTOR_LED, languages=["es", "en"], modules=1)
    db.session.commit()
    return course


def post(client, url, page):
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def enrollments_in(cohort):
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(Enrollment).where(Enrollment.cohort_id == cohort.id)
    )


def seats_taken(cohort):
    db.session.expire_all()
    return db.session.get(Cohort, cohort.id).seats_taken


# The course page ----------------------------------------------------------------------


def test_the_course_page_shows_each_cohort_with_dates_language_and_seats_left(
    client, login_as, tutored, make_user
):
    cohort = make_cohort(tutored, name="Mañana", seats=3, language="en")
    enroll(make_user(), tutored, cohort)
    db.session.commit()
    login_as(Role.LEARNER, locale="en")
    html = main_of(client.get(f"/courses/{TUTORED}").get_data(as_text=True))
    assert "Cohort Mañana" in html
    assert "2 seats left of 3" in html
    assert "English" in html
    assert cohort.starts_on.strftime("%Y") in html
    assert f'action="/cohorts/{cohort.id}/enrol"' in html


def test_a_learner_enrolls_in_a_cohort_and_lands_in_the_course(client, login_as, tutored):
    cohort = make_cohort(tutored, seats=2)
    db.session.commit()
    learner = login_as(Role.LEARNER, locale="en")
    response = post(client, f"/cohorts/{cohort.id}/enrol", f"/courses/{TUTORED}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/learn/{TUTORED}"
    home = client.get(f"/learn/{TUTORED}").get_data(as_text=True)
    assert ("success", f"You have a place in cohort “{cohort.name}”. Welcome!") in flashes(home)
    assert seats_taken(cohort) == 1
    place = enrollments.find_enrollment(learner, tutored)
    assert place.cohort_id == cohort.id and place.season_id == cohort.offering.season_id
    # The course page now shows the place instead of the ways in.
    page = main_of(client.get(f"/courses/{TUTORED}").get_data(as_text=True))
    assert "Your place" in page and f"/cohorts/{cohort.id}/enrol" not in page


def test_a_full_cohort_answers_full_and_offers_its_waiting_list(
    client, login_as, tutored, make_user
):
    cohort = make_cohort(tutored, seats=1)
    enroll(make_user(), tutored, cohort)
    db.session.commit()
    login_as(Role.LEARNER, locale="en")
    page = main_of(client.get(f"/courses/{TUTORED}").get_data(as_text=True))
    assert "This cohort is full." in page
    assert f'action="/cohorts/{cohort.id}/waitlist"' in page
    assert f'action="/cohorts/{cohort.id}/enrol"' not in page
    # A form sent from an older page meets the full cohort: a clear answer, no place.
    response = post(client, f"/cohorts/{cohort.id}/enrol", f"/courses/{TUTORED}")
    assert response.status_code == 409
    # The answer is the page itself (a browser follows no redirect from a 409).
    shown = unescape(main_of(response.get_data(as_text=True)))
    assert "This cohort is full. You can join its waiting list." in shown
    assert f'action="/cohorts/{cohort.id}/waitlist"' in shown
    assert enrollments_in(cohort) == 1 and seats_taken(cohort) == 1


def test_the_waiting_list_tells_the_position_and_can_be_left(client, login_as, tutored, make_user):
    cohort = make_cohort(tutored, seats=1)
    enroll(make_user(), tutored, cohort)
    services.join_waitlist(make_user(), cohort)
    db.session.commit()
    login_as(Role.LEARNER, locale="en")
    response = post(client, f"/cohorts/{cohort.id}/waitlist", f"/courses/{TUTORED}")
    assert response.status_code == 302
    page = client.get(f"/courses/{TUTORED}").get_data(as_text=True)
    assert (
        "success",
        "You are number 2 on the waiting list. We will write to you when a seat is yours.",
    ) in flashes(page)
    assert "You are number 2 on the waiting list." in main_of(page)
    post(client, f"/cohorts/{cohort.id}/waitlist/leave", f"/courses/{TUTORED}")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(WaitlistEntry)) == 1


def test_joining_the_waiting_list_of_a_cohort_with_a_free_seat_enrolls(client, login_as, tutored):
    cohort = make_cohort(tutored, seats=1)
    db.session.commit()
    login_as(Role.LEARNER)
    response = post(client, f"/cohorts/{cohort.id}/waitlist", f"/courses/{TUTORED}")
    assert response.headers["Location"] == f"/learn/{TUTORED}"
    assert enrollments_in(cohort) == 1
    assert db.session.scalar(select(func.count()).select_from(WaitlistEntry)) == 0


# Withdrawal and the waiting list ------------------------------------------------------


def test_withdrawing_before_the_start_frees_the_seat_for_the_first_in_line(
    client, login_as, tutored, make_user
):
    cohort = make_cohort(tutored, seats=1)
    first, second = make_user(locale="pt"), make_user()
    learner = login_as(Role.LEARNER, locale="en")
    enroll(learner, tutored, cohort)
    services.join_waitlist(first, cohort)
    services.join_waitlist(second, cohort)
    db.session.commit()
    page = client.get(f"/learn/{TUTORED}/withdraw")
    assert page.status_code == 200
    assert "progress in this course will be removed" in page.get_data(as_text=True)
    response = post(client, f"/learn/{TUTORED}/withdraw", f"/learn/{TUTORED}/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert enrollments.find_enrollment(learner, tutored) is None
    assert enrollments.find_enrollment(first, tutored).cohort_id == cohort.id
    assert enrollments.find_enrollment(second, tutored) is None
    assert seats_taken(cohort) == 1
    (mail,) = outbox(first.email)
    assert mail.subject == "Um lugar é seu"  # in the promoted learner's language
    assert f"/learn/{TUTORED}" in mail.body
    assert services.waitlist_position(services.waitlist_entry(second, cohort)) == 1


def test_withdrawal_is_refused_once_the_cohort_has_started(client, login_as, tutored):
    cohort = make_cohort(tutored, starts_on=days(-1), enroll_opens_on=days(-5))
    learner = login_as(Role.LEARNER, locale="en")
    enroll(learner, tutored, cohort)
    db.session.commit()
    home = client.get(f"/learn/{TUTORED}").get_data(as_text=True)
    assert "/withdraw" not in home
    response = post(client, f"/learn/{TUTORED}/withdraw", f"/learn/{TUTORED}")
    assert response.status_code == 302
    assert enrollments.find_enrollment(learner, tutored) is not None
    assert seats_taken(cohort) == 1


def test_a_seat_freed_goes_to_someone_not_already_placed_elsewhere(tutored, make_user):
    full = make_cohort(tutored, name="Full", seats=1)
    other = make_cohort(tutored, name="Other", seats=5)
    holder, waiting_then_placed, waiting = make_user(), make_user(), make_user()
    enroll(holder, tutored, full)
    services.join_waitlist(waiting_then_placed, full)
    services.join_waitlist(waiting, full)
    # Enrolling in another cohort of the course takes the learner off this waiting list.
    enroll(waiting_then_placed, tutored, other)
    assert services.waitlist_entry(waiting_then_placed, full) is None
    promoted = services.withdraw(enrollments.find_enrollment(holder, tutored))
    assert promoted == [waiting]
    assert enrollments.find_enrollment(waiting, tutored).cohort_id == full.id


def test_more_seats_go_to_the_waiting_list_in_order(tutored, make_user):
    cohort = make_cohort(tutored, seats=1)
    enroll(make_user(), tutored, cohort)
    line = [make_user() for _ in range(4)]
    for person in line:
        services.join_waitlist(person, cohort)
    plan = services.CohortPlan(
        name=cohort.name,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        enroll_opens_on=cohort.enroll_opens_on,
        enroll_closes_on=cohort.enroll_closes_on,
        seats=3,
        language=cohort.language,
    )
    assert services.update_cohort(cohort, plan) == line[:2]
    assert [e.user_id for e in services.waitlist(cohort)] == [p.id for p in line[2:]]
    assert seats_taken(cohort) == 3


# Rules --------------------------------------------------------------------------------


def test_one_learner_never_holds_two_places_in_one_course_and_season(tutored, make_user):
    first, second = make_cohort(tutored, name="A"), make_cohort(tutored, name="B")
    learner = make_user()
    enroll(learner, tutored, first)
    assert enroll(learner, tutored, first).cohort_id == first.id  # the same place: idempotent
    with pytest.raises(services.AlreadyEnrolled):
        enroll(learner, tutored, second)
    with pytest.raises(services.AlreadyEnrolled):
        services.join_waitlist(learner, second)
    assert seats_taken(first) == 1 and seats_taken(second) == 0
    # The database itself refuses a second row for the learner, course and season.
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            Enrollment(
                user_id=learner.id,
                course_id=tutored.id,
                season_id=first.offering.season_id,
                cohort_id=second.id,
            )
        )
        db.session.flush()


def test_the_database_refuses_more_seats_taken_than_seats(tutored):
    cohort = make_cohort(tutored, seats=2)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(Cohort).where(Cohort.id == cohort.id).values(seats_taken=3))


@pytest.mark.parametrize(
    ("opens", "closes", "message"),
    [
        (5, 10, "Enrolment is not open at the moment."),
        # Yesterday may still be under way somewhere on Earth: closed two days ago.
        (-10, -2, "Enrolment is not open at the moment."),
    ],
)
def test_enrollment_outside_the_cohort_window_is_refused(
    client, login_as, tutored, opens, closes, message
):
    cohort = make_cohort(tutored, enroll_opens_on=days(opens), enroll_closes_on=days(closes))
    db.session.commit()
    learner = login_as(Role.LEARNER, locale="en")
    page = main_of(client.get(f"/courses/{TUTORED}").get_data(as_text=True))
    assert message in page and f"/cohorts/{cohort.id}/enrol" not in page
    post(client, f"/cohorts/{cohort.id}/enrol", f"/courses/{TUTORED}")
    shown = client.get(f"/courses/{TUTORED}").get_data(as_text=True)
    assert ("error", message) in flashes(shown)
    assert enrollments.find_enrollment(learner, tutored) is None and seats_taken(cohort) == 0


def test_a_self_paced_window_limits_enrollment(small_course, make_user):
    learner = make_user()
    offering = offering_for(small_course, enroll_opens_on=days(2), enroll_closes_on=days(30))
    with pytest.raises(services.EnrollmentClosed):
        services.enroll(learner, offering)
    services.set_offering_window(offering, days(0), days(30))
    assert services.enroll(learner, offering).season_id == offering.season_id


def test_a_closed_season_refuses_enrollment_and_keeps_work_readable(
    client, login_as, small_course, tutored
):
    learner = login_as(Role.LEARNER, locale="en")
    enroll(learner, small_course)
    cohort = make_cohort(tutored)
    services.close_season(cohort.offering.season)
    db.session.commit()
    with pytest.raises(services.EnrollmentClosed):
        enroll(learner, tutored, cohort)
    # No way in is offered from a closed season.
    page = main_of(client.get(f"/courses/{TUTORED}").get_data(as_text=True))
    assert f"/cohorts/{cohort.id}" not in page
    # The course stays readable, but nothing moves.
    home = client.get(f"/learn/{SMALL}").get_data(as_text=True)
    assert "This season is closed: your work stays here to read." in home
    item = client.get(f"/learn/{SMALL}/welcome").get_data(as_text=True)
    assert "Mark as done" not in item
    post(client, f"/learn/{SMALL}/welcome/done", f"/learn/{SMALL}/welcome")
    assert learning.done_item_ids(enrollments.find_enrollment(learner, small_course)) == set()
    quiz = client.get(f"/learn/{SMALL}/basics-quiz").get_data(as_text=True)
    assert 'class="quiz"' not in quiz


def test_a_course_taken_again_in_a_later_season_opens_the_later_place(small_course, make_user):
    learner = make_user()
    earlier = make_season("Season 2025", starts_on=days(-400), ends_on=days(-40))
    later = make_season("Season 2026")
    services.enroll(learner, offering_for(small_course, earlier), by_admin=True)
    services.close_season(earlier)
    place = services.enroll(learner, offering_for(small_course, later))
    assert enrollments.find_enrollment(learner, small_course).id == place.id
    assert place.season_id == later.id


def test_a_cohort_must_be_a_cohort_of_the_offering(small_course, tutored, make_user):
    cohort = make_cohort(tutored)
    with pytest.raises(services.EnrollmentClosed):
        services.enroll(make_user(), offering_for(small_course), cohort)
    with pytest.raises(services.EnrollmentClosed):
        services.enroll(make_user(), cohort.offering)  # tutor-led needs a cohort


# Days read "anywhere on Earth" ----------------------------------------------------------


def test_a_window_day_lasts_from_its_first_moment_anywhere_to_its_last_moment_anywhere():
    day = date(2026, 3, 10)
    assert day_begins(day) == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # 00:00 at UTC+14
    assert day_ends(day) == datetime(2026, 3, 11, 12, 0, tzinfo=UTC)  # 24:00 at UTC-12
    second = timedelta(seconds=1)
    assert not within(day, day, day_begins(day) - second)
    assert within(day, day, day_begins(day))
    assert within(day, day, day_ends(day) - second)
    assert not within(day, day, day_ends(day))


# Setting seasons and cohorts up: bad input --------------------------------------------


def cohort_plan(**changes):
    values = {
        "name": "A",
        "starts_on": days(20),
        "ends_on": days(80),
        "enroll_opens_on": days(-5),
        "enroll_closes_on": days(15),
        "seats": 10,
        "language": "es",
    }
    values.update(changes)
    return services.CohortPlan(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "A cohort needs a name."),
        ({"name": "x" * 121}, "A name has at most 120 characters and no control characters."),
        ({"ends_on": 10}, "The cohort ends before it starts."),
        ({"enroll_closes_on": -6}, "Enrolment closes before it opens."),
        ({"enroll_closes_on": 81}, "Enrolment must close by the cohort's last day."),
        ({"seats": 0}, "Seats must be a whole number from 1 to 10000."),
        ({"seats": -3}, "Seats must be a whole number from 1 to 10000."),
        ({"seats": 10_001}, "Seats must be a whole number from 1 to 10000."),
        ({"language": "pt"}, "The course has no content in that language."),
        ({"ends_on": 400}, "The cohort's dates must fall within the season."),
    ],
)
def test_a_cohort_with_bad_settings_is_refused_and_nothing_is_added(app, tutored, changes, message):
    # Dates are given in days from today and turned into dates here, when the test runs: a
    # date computed at collection is a day off when the suite runs across midnight.
    changes = {key: days(value) if key.endswith("_on") else value for key, value in changes.items()}
    offering = offering_for(tutored)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(services.InvalidSeason) as refused:
            services.add_cohort(offering, cohort_plan(**changes))
        assert str(refused.value).replace(",", "") == message
    assert db.session.scalar(select(func.count()).select_from(Cohort)) == 0


def test_only_tutors_lead_cohorts(tutored, make_user):
    with pytest.raises(services.InvalidSeason):
        services.add_cohort(offering_for(tutored), cohort_plan(tutors=[make_user()]))
    tutor = make_user(role=Role.TUTOR)
    cohort = services.add_cohort(offering_for(tutored), cohort_plan(tutors=[tutor]))
    assert cohort.tutors == [tutor]


def test_seasons_refuse_a_taken_name_and_dates_out_of_order(app):
    services.create_season("Season 2027", date(2027, 3, 1), date(2027, 12, 1))
    with pytest.raises(services.InvalidSeason):
        services.create_season("Season 2027", date(2028, 3, 1), date(2028, 12, 1))
    with pytest.raises(services.InvalidSeason):
        services.create_season("Season 2028", date(2028, 3, 1), date(2028, 2, 1))
    with pytest.raises(services.InvalidSeason):
        services.create_season("\x00bad", date(2028, 3, 1), date(2028, 4, 1))


def test_a_season_opens_only_with_a_course_and_copies_without_learners(
    tutored, small_course, make_user
):
    season = make_season("Season 2026", state=SeasonState.DRAFT)
    with pytest.raises(services.InvalidSeason):
        services.open_season(season)
    tutor = make_user(role=Role.TUTOR)
    cohort = make_cohort(tutored, season=season, seats=7, tutors=[tutor])
    offering_for(small_course, season)
    services.open_season(season)
    enroll(make_user(), tutored, cohort)
    copy = services.copy_season(season, "Season 2027", shift_days=365, keep_tutors=False)
    assert copy.state == SeasonState.DRAFT
    assert copy.starts_on == season.starts_on + timedelta(days=365)
    (copied,) = [c for o in copy.offerings for c in o.cohorts]
    assert copied.seats == 7 and copied.seats_taken == 0 and copied.tutors == []
    assert copied.starts_on == cohort.starts_on + timedelta(days=365)
    assert {o.course_id for o in copy.offerings} == {tutored.id, small_course.id}
    kept = services.copy_season(season, "Season 2028", shift_days=730, keep_tutors=True)
    assert [c.tutors for o in kept.offerings for c in o.cohorts] == [[tutor]]
    assert (
        db.session.scalar(
            select(func.count()).select_from(Enrollment).where(Enrollment.season_id == copy.id)
        )
        == 0
    )


def test_the_dashboard_shows_the_season_cohort_and_waiting_lists(
    client, login_as, tutored, make_user
):
    mine, full = make_cohort(tutored, name="Mine"), make_cohort(tutored, name="Full", seats=1)
    other = build_course("other-tutored", kind=CourseKind.TUTOR_LED, languages=["es"])
    elsewhere = make_cohort(other, name="Elsewhere", seats=1)
    enroll(make_user(), other, elsewhere)
    learner = login_as(Role.LEARNER, locale="en")
    enroll(learner, tutored, mine)
    services.join_waitlist(make_user(), elsewhere)
    services.join_waitlist(learner, elsewhere)
    db.session.commit()
    assert full.seats_left == 1
    html = main_of(client.get("/dashboard").get_data(as_text=True))
    assert "Test season · Cohort Mine" in html
    assert "Waiting lists" in html
    assert "Cohort Elsewhere · You are number 2 on the waiting list." in html
    assert 'href="/courses/other-tutored"' in html


def test_the_dashboards_waiting_lists_take_the_same_queries_for_one_or_many(
    client, login_as, make_user
):
    """Each list the learner waits on, with their place in line, in one statement however
    many lists there are."""
    learner = login_as(Role.LEARNER, locale="en")

    def wait_in_a_full_cohort(n):
        course = build_course(f"full-{n}", kind=CourseKind.TUTOR_LED, languages=["es"])
        cohort = make_cohort(course, name=f"Full {n}", seats=1)
        enroll(make_user(email=f"holder{n}@example.org"), course, cohort)
        for ahead in range(n):
            services.join_waitlist(make_user(email=f"ahead{n}-{ahead}@example.org"), cohort)
        services.join_waitlist(learner, cohort)
        db.session.commit()

    def dashboard_queries():
        with counting_queries() as statements:
            html = main_of(client.get("/dashboard").get_data(as_text=True))
        return len(statements), html

    wait_in_a_full_cohort(0)
    dashboard_queries()  # warm up
    one, html = dashboard_queries()
    assert "Cohort Full 0 · You are number 1 on the waiting list." in html
    for n in (1, 2, 3):
        wait_in_a_full_cohort(n)
    many, html = dashboard_queries()
    assert many == one
    for n in (1, 2, 3):
        assert f"Cohort Full {n} · You are number {n + 1} on the waiting list." in html
        assert f'href="/courses/full-{n}"' in html
