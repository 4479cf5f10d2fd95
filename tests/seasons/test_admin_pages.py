"""Administrators' pages for seasons, offerings and cohorts, through the test client: what they
create and change, the bad input they refuse (changing nothing), and their query counts."""

from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.extensions import db
from app.seasons import services
from app.seasons.models import Cohort, Enrollment, Offering, Season, SeasonState, WaitlistEntry
from tests.conftest import csrf_token, outbox
from tests.learning.helpers import build_course, counting_queries, flashes, main_of
from tests.seasons.factories import days, enroll, make_cohort, make_season, offering_for

TUTORED = "tutored"


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN, locale="en")


@pytest.fixture
def tutored(app):
    course = build_course(TUTORED, kind=CourseKind.TUTOR_LED, languages=["es", "en"], modules=1)
    db.session.commit()
    return course


@pytest.fixture
def self_paced(app):
    course = build_course("paced", languages=["es"], modules=1)
    db.session.commit()
    return course


def send(client, url, data, *, prefix=None, page=None):
    """Post a form as the browser does: its fields (with the form's prefix) and CSRF token."""
    name = (lambda key: f"{prefix}-{key}") if prefix else (lambda key: key)
    fields = {name(key): value for key, value in data.items()}
    fields[name("csrf_token")] = csrf_token(client, page or url)
    return client.post(url, data=fields)


def press(client, url, page):
    """A button-only form."""
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def html_of(response):
    """The page's main content, with entities decoded (so a message reads as written)."""
    return unescape(main_of(response.get_data(as_text=True)))


def error_of(html, field_id):
    """The error text shown next to a field, or None."""
    start = html.find(f'id="{field_id}-error"')
    if start < 0:
        return None
    return html[html.find(">", start) + 1 : html.find("</p>", start)]


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def iso(day: date) -> str:
    return day.isoformat()


def cohort_data(**changes):
    data = {
        "name": "Mañana",
        "starts_on": iso(days(20)),
        "ends_on": iso(days(80)),
        "enroll_opens_on": iso(days(-5)),
        "enroll_closes_on": iso(days(15)),
        "seats": "12",
        "language": "en",
    }
    data.update(changes)
    return data


# Seasons ------------------------------------------------------------------------------


def test_the_seasons_page_lists_each_season_with_its_numbers(client, admin, tutored, make_user):
    cohort = make_cohort(tutored, seats=5)
    make_cohort(tutored, seats=5)
    enroll(make_user(), tutored, cohort)
    enroll(make_user(), tutored, cohort)
    make_season("Empty draft", state=SeasonState.DRAFT)
    db.session.commit()
    html = html_of(client.get("/admin/seasons"))
    row = html[html.find(">Test season<") : html.find("</tr>", html.find(">Test season<"))]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells[1:] == ["Open", "1", "2", "2"]
    assert "Empty draft" in html and "Draft" in html


def test_an_administrator_creates_a_season_in_draft(client, admin):
    response = send(
        client,
        "/admin/seasons",
        {"name": "  Season 2021 ", "starts_on": "2021-03-01", "ends_on": "2021-12-15"},
        prefix="new",
    )
    season = db.session.scalar(select(Season).where(Season.name == "Season 2021"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/seasons/{season.id}"
    assert (season.starts_on, season.ends_on) == (date(2021, 3, 1), date(2021, 12, 15))
    assert season.state == SeasonState.DRAFT


def test_a_season_name_is_taken_only_once(client, admin):
    make_season("Season 2021", state=SeasonState.DRAFT)
    db.session.commit()
    response = send(
        client,
        "/admin/seasons",
        {"name": "Season 2021", "starts_on": "2022-03-01", "ends_on": "2022-12-15"},
        prefix="new",
    )
    assert response.status_code == 200
    assert "There is already a season named “Season 2021”." in html_of(response)
    assert count(Season) == 1


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"name": "S", "starts_on": "2021-12-15", "ends_on": "2021-03-01"},
            "new-ends_on",
            "The last day comes before the first day.",
        ),
        ({"name": "", "starts_on": "2021-03-01", "ends_on": "2021-12-15"}, "new-name", "name"),
        (
            {"name": "S" * 121, "starts_on": "2021-03-01", "ends_on": "2021-12-15"},
            "new-name",
            "120",
        ),
        ({"name": "S", "starts_on": "", "ends_on": "2021-12-15"}, "new-starts_on", "first day"),
        ({"name": "S", "starts_on": "2021-03-01", "ends_on": "soon"}, "new-ends_on", "2021-03-01"),
        ({"name": "S", "starts_on": "2021-03-01", "ends_on": "99999-01-01"}, "new-ends_on", ""),
        (
            {"name": "S", "starts_on": "1900-03-01", "ends_on": "2021-12-15"},
            "new-starts_on",
            "2000",
        ),
    ],
    ids=["out of order", "no name", "long name", "no first day", "not a date", "huge", "old"],
)
def test_bad_season_input_is_refused_next_to_its_field(client, admin, data, field, message):
    response = send(client, "/admin/seasons", data, prefix="new")
    html = html_of(response)
    assert response.status_code == 200
    error = error_of(html, field)
    assert error is not None and message in error, html
    assert count(Season) == 0


def test_control_characters_in_a_name_are_refused_by_the_service(client, admin):
    data = {"name": "Season\x072021", "starts_on": "2021-03-01", "ends_on": "2021-12-15"}
    response = send(client, "/admin/seasons", data, prefix="new")
    assert "no control characters" in html_of(response)
    assert count(Season) == 0


def test_markup_in_a_season_name_is_shown_as_text(client, admin):
    data = {"name": "<b>Bold</b>", "starts_on": "2021-03-01", "ends_on": "2021-12-15"}
    send(client, "/admin/seasons", data, prefix="new")
    html = main_of(client.get("/admin/seasons").get_data(as_text=True))
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html and "<b>Bold" not in html


def test_editing_a_season_changes_nothing_when_a_cohort_would_fall_outside(client, admin, tutored):
    cohort = make_cohort(tutored)
    season_id = cohort.offering.season_id
    db.session.commit()
    url = f"/admin/seasons/{season_id}"
    response = send(
        client,
        url,
        {"name": "Renamed", "starts_on": iso(days(-60)), "ends_on": iso(days(30))},
        prefix="season",
    )
    assert response.status_code == 200
    assert f"Cohort “{cohort.name}” would fall outside the season." in html_of(response)
    assert fresh(Season, season_id).name == "Test season"  # the rename was undone too

    response = send(
        client,
        url,
        {"name": "Renamed", "starts_on": iso(days(-90)), "ends_on": iso(days(400))},
        prefix="season",
    )
    assert response.status_code == 302
    season = fresh(Season, season_id)
    assert (season.name, season.ends_on) == ("Renamed", days(400))


def test_open_and_close_a_season_with_its_buttons(client, admin, tutored):
    season = make_season("Season 2021", state=SeasonState.DRAFT)
    db.session.commit()
    page = f"/admin/seasons/{season.id}"
    response = press(client, f"{page}/open", page)
    assert response.status_code == 302
    assert ("error", "Add at least one course before opening the season.") in flashes(
        client.get(page).get_data(as_text=True)
    )
    assert fresh(Season, season.id).state == SeasonState.DRAFT

    services.offer_course(fresh(Season, season.id), tutored)
    db.session.commit()
    assert "Open for enrolment" in html_of(client.get(page))
    press(client, f"{page}/open", page)
    assert fresh(Season, season.id).state == SeasonState.OPEN
    assert "Close the season" in html_of(client.get(page))
    press(client, f"{page}/close", page)
    assert fresh(Season, season.id).state == SeasonState.CLOSED
    assert "Open again" in html_of(client.get(page))


def test_a_season_is_deleted_only_while_nobody_is_enrolled(client, admin, tutored, make_user):
    cohort = make_cohort(tutored)
    enroll(make_user(), tutored, cohort)
    empty = make_season("Mistake", state=SeasonState.DRAFT)
    db.session.commit()
    season_id = cohort.offering.season_id
    page = f"/admin/seasons/{season_id}"
    assert "Delete the season" not in html_of(client.get(page))
    response = press(client, f"{page}/delete", page)
    assert response.headers["Location"] == page
    assert count(Season, Season.id == season_id) == 1

    page = f"/admin/seasons/{empty.id}"
    assert "Delete the season" in html_of(client.get(page))
    response = press(client, f"{page}/delete", page)
    assert response.headers["Location"] == "/admin/seasons"
    assert count(Season, Season.id == empty.id) == 0


def test_copy_a_season_with_shifted_dates_keeps_cohorts_and_tutors_not_learners(
    client, admin, tutored, self_paced, make_user
):
    tutor = make_user(role=Role.TUTOR)
    cohort = make_cohort(tutored, seats=7, tutors=[tutor], language="en")
    source = cohort.offering.season
    offering_for(self_paced, source, enroll_opens_on=days(-10), enroll_closes_on=days(10))
    enroll(make_user(), tutored, cohort)
    services.join_waitlist(make_user(), cohort)
    db.session.commit()

    data = {"source": str(source.id), "name": "Next season", "shift_days": "364"}
    response = send(client, "/admin/seasons/copy", {**data, "keep_tutors": "y"}, prefix="copy")
    assert response.status_code == 302
    copy = db.session.scalar(select(Season).where(Season.name == "Next season"))
    assert copy.state == SeasonState.DRAFT
    assert copy.starts_on == source.starts_on + timedelta(days=364)
    assert {o.course_id for o in copy.offerings} == {tutored.id, self_paced.id}
    paced = next(o for o in copy.offerings if o.course_id == self_paced.id)
    assert paced.enroll_opens_on == days(354)
    (copied,) = next(o for o in copy.offerings if o.course_id == tutored.id).cohorts
    assert (copied.name, copied.seats, copied.seats_taken, copied.language) == (
        cohort.name,
        7,
        0,
        "en",
    )
    assert copied.starts_on == cohort.starts_on + timedelta(days=364)
    assert [t.id for t in copied.tutors] == [tutor.id]
    assert count(Enrollment, Enrollment.season_id == copy.id) == 0
    assert count(WaitlistEntry, WaitlistEntry.cohort_id == copied.id) == 0

    # Without the box ticked, tutors are cleared.
    response = send(client, "/admin/seasons/copy", {**data, "name": "Bare"}, prefix="copy")
    bare = db.session.scalar(select(Season).where(Season.name == "Bare"))
    assert bare.offerings[0].cohorts[0].tutors == []


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"shift_days": "4000"}, "copy-shift_days", "-3650 to 3650"),
        ({"shift_days": "a year"}, "copy-shift_days", "-3650 to 3650"),
        ({"source": "999999"}, "copy-source", "Choose a season"),
        ({"name": "Test season"}, None, "There is already a season named"),
    ],
)
def test_a_bad_copy_is_refused_and_creates_nothing(client, admin, tutored, changes, field, message):
    source = make_cohort(tutored).offering.season
    db.session.commit()
    data = {"source": str(source.id), "name": "Copy", "shift_days": "364", **changes}
    response = send(client, "/admin/seasons/copy", data, prefix="copy")
    html = html_of(response)
    assert response.status_code == 200
    assert message in (error_of(html, field) if field else html)
    assert count(Season) == 1 and count(Cohort) == 1


# Offerings ----------------------------------------------------------------------------


def test_add_a_self_paced_course_with_a_window_inside_the_season_only(client, admin, self_paced):
    season = make_season("Season 2021", starts_on=date(2021, 3, 1), ends_on=date(2021, 12, 15))
    db.session.commit()
    url = f"/admin/seasons/{season.id}/offerings"
    page = f"/admin/seasons/{season.id}"
    data = {"course": str(self_paced.id), "enroll_opens_on": "2021-02-01"}
    response = send(
        client, url, {**data, "enroll_closes_on": "2021-04-01"}, prefix="offer", page=page
    )
    assert response.status_code == 200
    assert "The enrolment window must fall within the season." in html_of(response)
    assert count(Offering) == 0

    data = {"course": str(self_paced.id), "enroll_opens_on": "2021-04-01"}
    response = send(
        client, url, {**data, "enroll_closes_on": "2021-03-15"}, prefix="offer", page=page
    )
    assert "Enrolment closes before it opens." in error_of(
        html_of(response), "offer-enroll_closes_on"
    )
    assert count(Offering) == 0

    data = {"course": str(self_paced.id), "enroll_opens_on": "2021-03-10"}
    response = send(client, url, data, prefix="offer", page=page)
    assert response.status_code == 302
    offering = db.session.scalar(select(Offering))
    assert offering.window == (date(2021, 3, 10), date(2021, 12, 15))
    html = html_of(client.get(page))
    assert "Enrolment open from Mar 10, 2021 to Dec 15, 2021." in html
    # Offered once: no longer in the list of courses to add.
    assert f'<option value="{self_paced.id}"' not in html


def test_add_a_tutor_led_course_and_its_first_cohort(client, admin, tutored, make_user):
    tutor = make_user(role=Role.TUTOR, full_name="Tomasa Tutora")
    season = make_season("Season 2021", state=SeasonState.DRAFT)
    db.session.commit()
    page = f"/admin/seasons/{season.id}"
    url = f"{page}/offerings"
    response = send(
        client, url, {"course": str(tutored.id), "enroll_opens_on": iso(days(1))}, prefix="offer"
    )
    assert "A tutor-led course has its enrolment dates on each cohort." in html_of(response)
    assert count(Offering) == 0
    response = send(client, url, {"course": str(tutored.id)}, prefix="offer", page=page)
    assert response.status_code == 302
    offering = db.session.scalar(select(Offering))
    html = html_of(client.get(page))
    assert "No cohorts yet" in html
    new = f"/admin/offerings/{offering.id}/cohorts/new"
    assert f'href="{new}"' in html

    form = html_of(client.get(new))
    assert 'type="date"' in form and "Tomasa Tutora" in form
    assert '<option value="pt"' not in form  # only the course's languages
    response = send(client, new, cohort_data(tutors=str(tutor.id)))
    cohort = db.session.scalar(select(Cohort))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/cohorts/{cohort.id}"
    assert (cohort.name, cohort.seats, cohort.language) == ("Mañana", 12, "en")
    assert [t.id for t in cohort.tutors] == [tutor.id]
    row = html_of(client.get(page))
    assert "Mañana" in row and "0 of 12" in row and "Tomasa Tutora" in row


@pytest.mark.parametrize("seats", ["0", "-3", "10001", "abc", "", "2.5", "99999999999999999999"])
def test_seats_must_be_a_whole_number_from_1_to_10000(client, admin, tutored, seats):
    offering = offering_for(tutored)
    db.session.commit()
    url = f"/admin/offerings/{offering.id}/cohorts/new"
    response = send(client, url, cohort_data(seats=seats))
    assert response.status_code == 200
    assert error_of(html_of(response), "seats") == (
        "Error: Enter a whole number of seats from 1 to 10000."
    )
    assert count(Cohort) == 0


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"ends_on": iso(days(10))}, "ends_on", "The last day comes before the first day."),
        (
            {"enroll_closes_on": iso(days(-6))},
            "enroll_closes_on",
            "Enrolment closes before it opens.",
        ),
        ({"language": "pt"}, "language", "Choose one of the course's languages."),
        ({"name": "  "}, "name", "Enter the cohort's name."),
        (
            {"enroll_closes_on": iso(days(90))},
            None,
            "Enrolment must close by the cohort's last day.",
        ),
        ({"ends_on": iso(days(900))}, None, "The cohort's dates must fall within the season."),
    ],
)
def test_bad_cohort_input_is_refused(client, admin, tutored, changes, field, message):
    offering = offering_for(tutored)
    db.session.commit()
    response = send(client, f"/admin/offerings/{offering.id}/cohorts/new", cohort_data(**changes))
    html = html_of(response)
    assert response.status_code == 200
    assert message in (error_of(html, field) if field else html), html
    assert count(Cohort) == 0


def test_only_people_with_the_tutor_role_can_be_chosen_as_tutors(client, admin, tutored, make_user):
    learner = make_user(full_name="Lucía Learner")
    offering = offering_for(tutored)
    db.session.commit()
    url = f"/admin/offerings/{offering.id}/cohorts/new"
    assert "Lucía Learner" not in html_of(client.get(url))
    for chosen in (str(learner.id), str(admin.id), "abc"):
        response = send(client, url, cohort_data(tutors=chosen))
        assert "Only people with the tutor role can lead a cohort." in error_of(
            html_of(response), "tutors"
        )
    assert count(Cohort) == 0


def test_a_self_paced_course_has_no_cohorts_to_add(client, admin, self_paced):
    offering = offering_for(self_paced)
    db.session.commit()
    url = f"/admin/offerings/{offering.id}/cohorts/new"
    assert client.get(url).headers["Location"] == f"/admin/offerings/{offering.id}"
    send(client, url, cohort_data(), page=f"/admin/offerings/{offering.id}")
    assert count(Cohort) == 0


def test_the_offering_page_edits_the_window_and_lists_the_learners(
    client, admin, self_paced, make_user, institutions
):
    learner = make_user(full_name="Ana Aprendiz", email="ana@example.org")
    offering = offering_for(self_paced)
    enroll(learner, self_paced)
    db.session.commit()
    url = f"/admin/offerings/{offering.id}"
    html = html_of(client.get(url))
    assert "Ana Aprendiz" in html and "ana@example.org" in html
    assert learner.institution_label in html
    assert "Take it out" not in html  # someone is enrolled
    response = send(
        client,
        url,
        {"enroll_opens_on": iso(days(-1)), "enroll_closes_on": iso(days(5))},
        prefix=f"window-{offering.id}",
    )
    assert response.status_code == 302
    assert fresh(Offering, offering.id).window == (days(-1), days(5))
    response = send(
        client, url, {"enroll_closes_on": iso(days(900))}, prefix=f"window-{offering.id}"
    )
    assert "The enrolment window must fall within the season." in html_of(response)
    assert fresh(Offering, offering.id).enroll_closes_on == days(5)


def test_a_course_nobody_takes_can_be_taken_out_of_the_season(client, admin, self_paced):
    offering = offering_for(self_paced)
    db.session.commit()
    page = f"/admin/offerings/{offering.id}"
    response = press(client, f"{page}/remove", page)
    assert response.headers["Location"] == f"/admin/seasons/{offering.season_id}"
    assert count(Offering) == 0


# Cohorts ------------------------------------------------------------------------------


def full_cohort(tutored, make_user, seats=1):
    """A cohort with every seat taken and two people waiting, in order."""
    cohort = make_cohort(tutored, seats=seats, name="Tarde")
    for _ in range(seats):
        enroll(make_user(), tutored, cohort)
    first = make_user(full_name="Primera Espera", email="first@example.org")
    second = make_user(full_name="Segundo Espera", email="second@example.org")
    services.join_waitlist(first, cohort)
    services.join_waitlist(second, cohort)
    db.session.commit()
    return cohort, first, second


def edit(cohort, **changes):
    data = cohort_data(
        name=cohort.name,
        starts_on=iso(cohort.starts_on),
        ends_on=iso(cohort.ends_on),
        enroll_opens_on=iso(cohort.enroll_opens_on),
        enroll_closes_on=iso(cohort.enroll_closes_on),
        seats=str(cohort.seats),
        language=cohort.language,
    )
    return {**data, **changes}


def test_the_cohort_page_shows_the_form_prefilled_the_roster_and_the_waiting_list(
    client, admin, tutored, make_user
):
    cohort, first, second = full_cohort(tutored, make_user, seats=2)
    html = html_of(client.get(f"/admin/cohorts/{cohort.id}"))
    assert 'value="Tarde"' in html and 'value="2"' in html
    assert "2 of 2" in html
    waiting = html[html.find('<ol class="waiting-list">') :]
    assert waiting.find("Primera Espera") < waiting.find("Segundo Espera")
    assert html.count("/remove") == 2


def test_seats_cannot_drop_below_the_seats_taken(client, admin, tutored, make_user):
    cohort, *_ = full_cohort(tutored, make_user, seats=2)
    url = f"/admin/cohorts/{cohort.id}"
    response = send(client, url, edit(cohort, seats="1", name="Renamed"))
    assert response.status_code == 200
    assert "2 learners already hold seats: the cohort cannot have fewer." in html_of(response)
    again = fresh(Cohort, cohort.id)
    assert (again.seats, again.name) == (2, "Tarde")


def test_raising_the_seats_gives_them_to_the_waiting_list_in_order(
    client, admin, tutored, make_user
):
    cohort, first, second = full_cohort(tutored, make_user)
    url = f"/admin/cohorts/{cohort.id}"
    response = send(client, url, edit(cohort, seats="2"))
    assert response.status_code == 302
    messages = flashes(client.get(url).get_data(as_text=True))
    assert (
        "success",
        "1 person from the waiting list got a seat and was told by email.",
    ) in messages
    again = fresh(Cohort, cohort.id)
    assert (again.seats, again.seats_taken) == (2, 2)
    assert count(Enrollment, Enrollment.user_id == first.id, Enrollment.cohort_id == cohort.id)
    assert not count(Enrollment, Enrollment.user_id == second.id)
    assert len(outbox("first@example.org")) == 1 and outbox("second@example.org") == []


def test_remove_an_enrollment_frees_the_seat_for_the_first_in_line(
    client, admin, tutored, make_user
):
    cohort = make_cohort(tutored, seats=1, name="Tarde")
    leaving = make_user(full_name="Quique Quita")
    place = enroll(leaving, tutored, cohort)
    first = make_user(full_name="Primera Espera", email="first@example.org")
    services.join_waitlist(first, cohort)
    db.session.commit()
    url = f"/admin/enrollments/{place.id}/remove"
    page = html_of(client.get(url))
    assert "Quique Quita" in page and "progress" in page and "waiting list" in page
    assert press(client, url, url).status_code == 200  # no reason: nothing removed
    assert count(Enrollment, Enrollment.user_id == leaving.id) == 1
    response = client.post(
        url, data={"csrf_token": csrf_token(client, url), "reason": "Asked to leave by mail"}
    )
    assert response.headers["Location"] == f"/admin/cohorts/{cohort.id}"
    assert count(Enrollment, Enrollment.user_id == leaving.id) == 0
    messages = [
        text
        for _, text in flashes(client.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True))
    ]
    assert "Primera Espera, first on the waiting list, got the seat." in messages
    assert fresh(Cohort, cohort.id).seats_taken == 1
    assert count(Enrollment, Enrollment.user_id == first.id) == 1
    assert len(outbox("first@example.org")) == 1


def test_remove_a_self_paced_enrollment_goes_back_to_the_offering(
    client, admin, self_paced, make_user
):
    place = enroll(make_user(), self_paced)
    offering = offering_for(self_paced)
    db.session.commit()
    url = f"/admin/enrollments/{place.id}/remove"
    response = client.post(
        url, data={"csrf_token": csrf_token(client, url), "reason": "Duplicate account"}
    )
    assert response.headers["Location"] == f"/admin/offerings/{offering.id}"
    assert count(Enrollment) == 0


def test_a_cohort_is_deleted_only_while_nobody_holds_a_seat(client, admin, tutored, make_user):
    taken = make_cohort(tutored, name="Taken")
    enroll(make_user(), tutored, taken)
    empty = make_cohort(tutored, name="Empty")
    db.session.commit()
    page = f"/admin/cohorts/{taken.id}"
    assert "nobody holds a seat" in html_of(client.get(page))
    press(client, f"{page}/delete", page)
    assert count(Cohort, Cohort.id == taken.id) == 1
    page = f"/admin/cohorts/{empty.id}"
    response = press(client, f"{page}/delete", page)
    assert response.headers["Location"] == f"/admin/seasons/{empty.offering.season_id}"
    assert count(Cohort, Cohort.id == empty.id) == 0


def test_a_new_cohort_gets_its_capstone_deadline_and_cut_off(client, admin, tutored):
    offering = offering_for(tutored)
    db.session.commit()
    new = f"/admin/offerings/{offering.id}/cohorts/new"
    form = html_of(client.get(new))
    assert '<label for="capstone_due_on">Capstone deadline</label>' in form
    assert '<label for="capstone_cutoff_on">Capstone cut-off</label>' in form

    response = send(
        client,
        new,
        cohort_data(capstone_due_on=iso(days(70)), capstone_cutoff_on=iso(days(75))),
    )

    assert response.status_code == 302, html_of(response)
    cohort = fresh(Cohort, db.session.scalar(select(Cohort.id)))
    assert (cohort.capstone_due_on, cohort.capstone_cutoff_on) == (days(70), days(75))
    html = html_of(client.get(response.headers["Location"]))
    assert f'value="{iso(days(70))}"' in html and f'value="{iso(days(75))}"' in html
    facts = html[html.find('<dl class="facts">') : html.find("</dl>")]
    assert "Capstone deadline" in facts and str(days(70).year) in facts


def test_capstone_dates_are_optional_and_can_be_changed_and_cleared(client, admin, tutored):
    cohort = make_cohort(tutored)
    db.session.commit()
    page = f"/admin/cohorts/{cohort.id}"
    assert "None: late projects are always accepted" in html_of(client.get(page))

    response = send(client, page, edit(cohort, capstone_due_on=iso(cohort.ends_on)))
    assert response.status_code == 302, html_of(response)
    assert fresh(Cohort, cohort.id).capstone_due_on == cohort.ends_on
    assert fresh(Cohort, cohort.id).capstone_cutoff_on is None

    response = send(client, page, edit(cohort, capstone_due_on="", capstone_cutoff_on=""))
    assert response.status_code == 302, html_of(response)
    changed = fresh(Cohort, cohort.id)
    assert (changed.capstone_due_on, changed.capstone_cutoff_on) == (None, None)


@pytest.mark.parametrize(
    "due, cutoff, field, message",
    [
        (80, 79, "capstone_cutoff_on", "The capstone cut-off comes before its deadline."),
        (None, 80, None, "Set the capstone deadline before its cut-off."),
        (10, None, None, "The capstone deadline comes before the cohort starts."),
        ("31/12/2031", None, "capstone_due_on", "Enter a date as year-month-day"),
    ],
)
def test_bad_capstone_dates_are_refused_and_nothing_changes(
    client, admin, tutored, due, cutoff, field, message
):
    cohort = make_cohort(tutored)
    cohort.capstone_due_on = cohort.ends_on
    db.session.commit()
    page = f"/admin/cohorts/{cohort.id}"
    as_text = lambda value: iso(days(value)) if isinstance(value, int) else (value or "")  # noqa: E731

    response = send(
        client, page, edit(cohort, capstone_due_on=as_text(due), capstone_cutoff_on=as_text(cutoff))
    )

    html = html_of(response)
    assert response.status_code in (200, 400)
    assert message in (error_of(html, field) if field else html), html
    unchanged = fresh(Cohort, cohort.id)
    assert (unchanged.capstone_due_on, unchanged.capstone_cutoff_on) == (cohort.ends_on, None)


def test_missing_rows_are_404(client, admin):
    for url in (
        "/admin/seasons/999",
        "/admin/offerings/999",
        "/admin/offerings/999/cohorts/new",
        "/admin/cohorts/999",
        "/admin/enrollments/999/remove",
    ):
        assert client.get(url).status_code == 404, url


# Access and queries -------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TUTOR])
def test_learners_and_tutors_cannot_reach_these_pages(client, login_as, tutored, make_user, role):
    visitor = login_as(role)
    cohort = make_cohort(tutored, tutors=[visitor] if role == Role.TUTOR else [])
    place = enroll(make_user(), tutored, cohort)
    db.session.commit()
    season_id, offering_id = cohort.offering.season_id, cohort.offering_id
    pages = [
        "/admin/seasons",
        f"/admin/seasons/{season_id}",
        f"/admin/offerings/{offering_id}",
        f"/admin/offerings/{offering_id}/cohorts/new",
        f"/admin/cohorts/{cohort.id}",
        f"/admin/enrollments/{place.id}/remove",
    ]
    for url in pages:
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, "/")
    posts = pages[:1] + [
        "/admin/seasons/copy",
        f"/admin/seasons/{season_id}/close",
        f"/admin/seasons/{season_id}/delete",
        f"/admin/seasons/{season_id}/offerings",
        f"/admin/offerings/{offering_id}/remove",
        f"/admin/cohorts/{cohort.id}",
        f"/admin/cohorts/{cohort.id}/delete",
        f"/admin/enrollments/{place.id}/remove",
    ]
    for url in posts:
        data = {"csrf_token": token, "new-name": "X", "seats": "100"}
        assert client.post(url, data=data).status_code == 403, url
    assert count(Enrollment) == 1 and count(Season) == 1
    assert fresh(Cohort, cohort.id).seats == 10


def add_cohorts(course, make_user, n, start=0):
    for i in range(start, start + n):
        tutor = make_user(role=Role.TUTOR)
        cohort = make_cohort(
            course, name=f"C{i}", seats=2, tutors=[tutor, make_user(role=Role.TUTOR)]
        )
        enroll(make_user(), course, cohort)
        enroll(make_user(), course, cohort)
        services.join_waitlist(make_user(), cohort)


def test_the_season_pages_run_the_same_queries_for_one_cohort_or_six(
    client, admin, tutored, self_paced, make_user
):
    add_cohorts(tutored, make_user, 1)
    season_id = offering_for(self_paced).season_id
    db.session.commit()
    pages = ["/admin/seasons", f"/admin/seasons/{season_id}"]

    def queries():
        counts = []
        for url in pages:
            with counting_queries() as statements:
                assert client.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    queries()  # warm up
    one = queries()
    add_cohorts(tutored, make_user, 5, start=1)
    other = build_course("other-tutored", kind=CourseKind.TUTOR_LED, languages=["es"])
    add_cohorts(other, make_user, 2, start=6)
    make_season("Another", state=SeasonState.DRAFT)
    db.session.commit()
    six = queries()
    assert one == six
    assert all(n <= 12 for n in six), six
    html = html_of(client.get(pages[1]))
    assert all(f">C{i}</a>" in html for i in range(8))  # the rows are really shown
