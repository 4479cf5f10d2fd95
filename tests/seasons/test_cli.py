"""`flask seasons list|open|copy|add-cohort|close` and the demo season of `flask demo setup`:
each command changes the database through the services and commits once, or refuses with a
clear message and changes nothing."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.catalog.models import CourseKind
from app.demo.setup import DEMO_TUTOR_EMAIL
from app.extensions import db
from app.seasons import services
from app.seasons.models import Cohort, Enrollment, Offering, Season, SeasonState, WaitlistEntry
from tests.accounts.test_cli import assert_refused, messages
from tests.learning.helpers import build_course, counting_queries, import_season
from tests.seasons.factories import days, enroll, make_cohort, make_season, offering_for

TUTORED = "tutored"
SELF_PACED = "self-paced"
TUTOR_EMAIL = "tutora@example.org"


def run(app, *args):
    return app.test_cli_runner().invoke(args=["seasons", *[str(arg) for arg in args]])


def count(model) -> int:
    """Rows in the database, not what an aborted command may have left in the session."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def said(msgid, **values) -> set[str]:
    """The service's message in any of the app's languages, with its values filled in."""
    return {text % values for text in messages(msgid)}


def all_rows() -> dict[str, int]:
    return {model.__name__: count(model) for model in (Season, Offering, Cohort, Enrollment)}


def season_named(name) -> Season | None:
    db.session.rollback()
    return db.session.scalar(select(Season).where(Season.name == name))


def iso(day: date) -> str:
    return day.isoformat()


@pytest.fixture
def courses(app):
    """A tutor-led course (es, pt) and a self-paced one (es), committed."""
    tutored = build_course(TUTORED, kind=CourseKind.TUTOR_LED, languages=["es", "pt"], modules=1)
    self_paced = build_course(SELF_PACED, modules=1, position=1)
    db.session.commit()
    return tutored, self_paced


@pytest.fixture
def tutor(make_user):
    return make_user(role=Role.TUTOR, email=TUTOR_EMAIL)


def open_args(name="Season 2031", starts=None, ends=None, *more):
    starts, ends = starts or days(-10), ends or days(200)
    return ["open", name, "--starts", iso(starts), "--ends", iso(ends), *more]


def cohort_args(season="Season 2031", course=TUTORED, **overrides):
    values = {
        "--name": "A",
        "--starts": iso(days(20)),
        "--ends": iso(days(80)),
        "--enroll-opens": iso(days(-5)),
        "--enroll-closes": iso(days(15)),
        "--seats": "12",
        "--language": "pt",
    }
    values.update(overrides)
    args = ["add-cohort", season, course]
    for option, value in values.items():
        if value is not None:
            args += [option, value]
    return args


# open ---------------------------------------------------------------------------------


def test_open_creates_the_season_with_its_courses_and_opens_it(app, courses):
    result = run(app, *open_args("Season 2031", days(-10), days(200), "--course", SELF_PACED))

    assert result.exit_code == 0, result.output
    season = season_named("Season 2031")
    assert season.state == SeasonState.OPEN
    assert (season.starts_on, season.ends_on) == (days(-10), days(200))
    assert [o.course.slug for o in season.offerings] == [SELF_PACED]
    assert "Season 2031" in result.output
    assert "warning" not in result.output


def test_open_with_all_courses_warns_about_a_tutor_led_course_without_cohort(app, courses):
    result = run(app, *open_args("Season 2031", days(-10), days(200), "--all-courses"))

    assert result.exit_code == 0, result.output
    season = season_named("Season 2031")
    assert sorted(o.course.slug for o in season.offerings) == [SELF_PACED, TUTORED]
    assert season.is_open
    [warning] = [line for line in result.output.splitlines() if "warning" in line]
    assert TUTORED in warning
    assert "add-cohort" in warning


def test_open_on_an_existing_season_adds_courses_and_opens_it(app, courses):
    tutored, self_paced = courses
    season = make_season("Draft one", state=SeasonState.DRAFT)
    offering_for(self_paced, season)
    db.session.commit()

    result = run(app, "open", str(season.id), "--course", TUTORED, "--course", SELF_PACED)

    assert result.exit_code == 0, result.output
    season = season_named("Draft one")
    assert season.is_open
    assert sorted(o.course.slug for o in season.offerings) == [SELF_PACED, TUTORED]
    assert count(Season) == 1


def test_open_reopens_a_closed_season(app, courses):
    _, self_paced = courses
    season = make_season("Closed one", state=SeasonState.DRAFT)
    offering_for(self_paced, season)
    services.close_season(season)
    db.session.commit()

    result = run(app, "open", "Closed one", "--course", TUTORED)

    assert result.exit_code == 0, result.output
    season = season_named("Closed one")
    assert season.is_open
    assert len(season.offerings) == 2


def test_open_a_new_season_without_dates_is_refused(app, courses):
    result = run(app, "open", "Season 2031", "--course", SELF_PACED)

    assert_refused(result, "--starts", "--ends")
    assert all_rows() == {"Season": 0, "Offering": 0, "Cohort": 0, "Enrollment": 0}


@pytest.mark.parametrize("name", ["", "   "])
def test_open_refuses_an_empty_name(app, courses, name):
    result = run(app, *open_args(name, days(-10), days(200), "--course", SELF_PACED))

    assert_refused(result, messages("A season needs a name."))
    assert count(Season) == 0


def test_open_refuses_dates_out_of_order(app, courses):
    result = run(app, *open_args("Season 2031", days(200), days(-10), "--course", SELF_PACED))

    assert_refused(result, messages("The season ends before it starts."))
    assert all_rows()["Season"] == 0


@pytest.mark.parametrize("bad", ["2031-02-30", "31/01/2031", "2031-1-1x", "tomorrow", ""])
def test_open_refuses_a_malformed_date(app, courses, bad):
    result = run(app, "open", "Season 2031", "--starts", bad, "--ends", "2031-12-31")

    assert result.exit_code != 0
    assert "--starts" in result.output
    assert count(Season) == 0


def test_open_refuses_an_unknown_course_and_creates_nothing(app, courses):
    result = run(
        app,
        *open_args("Season 2031", days(-10), days(200), "--course", SELF_PACED),
        "--course",
        "no-such-course",
    )

    assert_refused(result, "no-such-course")
    assert all_rows()["Season"] == 0
    assert all_rows()["Offering"] == 0


def test_open_with_no_course_is_refused_and_the_new_season_not_kept(app, courses):
    result = run(app, *open_args("Season 2031", days(-10), days(200)))

    assert_refused(result, messages("Add at least one course before opening the season."))
    assert count(Season) == 0
    assert "Created" not in result.output  # nothing reported as done


def test_open_refuses_other_dates_for_an_existing_season(app, courses):
    _, self_paced = courses
    season = make_season("Season 2031", state=SeasonState.DRAFT)
    db.session.commit()
    before = (season.starts_on, season.ends_on)

    result = run(app, *open_args("Season 2031", days(1), days(2), "--course", SELF_PACED))

    assert_refused(result, "already exists")
    season = season_named("Season 2031")
    assert (season.starts_on, season.ends_on) == before
    assert season.state == SeasonState.DRAFT
    assert season.offerings == []


# add-cohort ---------------------------------------------------------------------------


def test_add_cohort_offers_the_course_and_adds_the_cohort_with_its_tutor(app, courses, tutor):
    make_season("Season 2031", state=SeasonState.DRAFT)
    db.session.commit()

    result = run(app, *cohort_args(), "--tutor", TUTOR_EMAIL.upper())

    assert result.exit_code == 0, result.output
    season = season_named("Season 2031")
    [offering] = season.offerings
    [cohort] = offering.cohorts
    assert offering.course.slug == TUTORED
    assert (cohort.name, cohort.seats, cohort.seats_taken, cohort.language) == ("A", 12, 0, "pt")
    assert (cohort.starts_on, cohort.ends_on) == (days(20), days(80))
    assert (cohort.enroll_opens_on, cohort.enroll_closes_on) == (days(-5), days(15))
    assert [t.email for t in cohort.tutors] == [TUTOR_EMAIL]


def test_add_cohort_defaults_to_the_course_language_and_finds_the_season_by_id(app, courses):
    season = make_season("Season 2031")
    db.session.commit()

    result = run(app, *cohort_args(str(season.id), **{"--language": None}))

    assert result.exit_code == 0, result.output
    [cohort] = season_named("Season 2031").offerings[0].cohorts
    assert cohort.language == "es"
    assert cohort.tutors == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"--seats": "0"}, "Seats must be a whole number from 1 to %(max)s."),
        ({"--seats": "-3"}, "Seats must be a whole number from 1 to %(max)s."),
        ({"--ends": iso(days(10))}, "The cohort ends before it starts."),
        ({"--enroll-closes": iso(days(-6))}, "Enrolment closes before it opens."),
        ({"--starts": iso(days(-100))}, "The cohort's dates must fall within the season."),
        ({"--language": "fr"}, "The course has no content in that language."),
        ({"--name": "  "}, "A cohort needs a name."),
    ],
)
def test_add_cohort_refuses_bad_input_and_changes_nothing(app, courses, overrides, message):
    make_season("Season 2031", state=SeasonState.DRAFT)
    db.session.commit()

    result = run(app, *cohort_args(**overrides))

    assert_refused(result, said(message, max=services.SEATS_MAX))
    # Not even the offering the command would have added first.
    assert all_rows() == {"Season": 1, "Offering": 0, "Cohort": 0, "Enrollment": 0}


def test_add_cohort_sets_the_capstone_deadline_and_cut_off(app, courses):
    make_season("Season 2031")
    db.session.commit()

    result = run(
        app,
        *cohort_args(),
        "--capstone-due",
        iso(days(70)),
        "--capstone-cutoff",
        iso(days(77)),
    )

    assert result.exit_code == 0, result.output
    [cohort] = season_named("Season 2031").offerings[0].cohorts
    assert (cohort.capstone_due_on, cohort.capstone_cutoff_on) == (days(70), days(77))
    assert f"capstone due {iso(days(70))}, cut-off {iso(days(77))}." in result.output


def test_add_cohort_without_capstone_dates_leaves_them_empty(app, courses):
    make_season("Season 2031")
    db.session.commit()

    result = run(app, *cohort_args())

    assert result.exit_code == 0, result.output
    [cohort] = season_named("Season 2031").offerings[0].cohorts
    assert (cohort.capstone_due_on, cohort.capstone_cutoff_on) == (None, None)
    assert "capstone due" not in result.output


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--capstone-due", iso(days(70)), "--capstone-cutoff", iso(days(69))],
            "The capstone cut-off comes before its deadline.",
        ),
        (["--capstone-cutoff", iso(days(70))], "Set the capstone deadline before its cut-off."),
        (
            ["--capstone-due", iso(days(19))],
            "The capstone deadline comes before the cohort starts.",
        ),
    ],
)
def test_add_cohort_refuses_bad_capstone_dates_and_changes_nothing(app, courses, options, message):
    make_season("Season 2031", state=SeasonState.DRAFT)
    db.session.commit()

    result = run(app, *cohort_args(), *options)

    assert_refused(result, said(message))
    assert all_rows() == {"Season": 1, "Offering": 0, "Cohort": 0, "Enrollment": 0}


def test_add_cohort_refuses_a_malformed_capstone_date(app, courses):
    make_season("Season 2031")
    db.session.commit()

    result = run(app, *cohort_args(), "--capstone-due", "31/12/2031")

    assert result.exit_code == 2 and "--capstone-due" in result.output
    assert count(Cohort) == 0


def test_add_cohort_refuses_a_huge_number_of_seats(app, courses):
    make_season("Season 2031")
    db.session.commit()

    result = run(app, *cohort_args(**{"--seats": "99999999999999999999"}))

    assert result.exit_code != 0
    assert count(Cohort) == 0


def test_add_cohort_refuses_an_unknown_season(app, courses):
    result = run(app, *cohort_args("No such season"))

    assert_refused(result, "No such season")
    assert all_rows()["Offering"] == 0


def test_add_cohort_refuses_an_unknown_course(app, courses):
    make_season("Season 2031")
    db.session.commit()

    result = run(app, *cohort_args(course="no-such-course"))

    assert_refused(result, "no-such-course")
    assert count(Offering) == 0


def test_add_cohort_refuses_a_self_paced_course(app, courses):
    make_season("Season 2031")
    db.session.commit()

    result = run(app, *cohort_args(course=SELF_PACED))

    assert_refused(result, messages("Only tutor-led courses run in cohorts."))
    assert count(Offering) == 0


def test_add_cohort_refuses_an_unknown_tutor(app, courses, tutor):
    make_season("Season 2031")
    db.session.commit()

    result = run(app, *cohort_args(), "--tutor", TUTOR_EMAIL, "--tutor", "nobody@example.org")

    assert_refused(result, "nobody@example.org")
    assert count(Offering) == 0
    assert count(Cohort) == 0


def test_add_cohort_refuses_a_tutor_without_the_tutor_role(app, courses, make_user):
    make_user(role=Role.LEARNER, email="learner@example.org")
    make_season("Season 2031")
    db.session.commit()

    result = run(app, *cohort_args(), "--tutor", "learner@example.org")

    assert_refused(result, "learner@example.org", "tutor role")
    assert count(Cohort) == 0


def test_add_cohort_refuses_a_second_cohort_of_the_same_name(app, courses):
    tutored, _ = courses
    make_cohort(tutored, season=make_season("Season 2031"), name="A")
    db.session.commit()

    result = run(app, *cohort_args())

    assert_refused(result, said("This course already has a cohort named “%(name)s”.", name="A"))
    assert count(Cohort) == 1


# copy ---------------------------------------------------------------------------------


@pytest.fixture
def season_with_learners(courses, tutor, make_user):
    """Season 2031 (open) offering both courses, cohort A with the tutor and two learners,
    one learner waiting for cohort B (full) and one in the self-paced course."""
    tutored, self_paced = courses
    season = make_season("Season 2031", starts_on=days(-60), ends_on=days(300))
    a = make_cohort(tutored, season=season, name="A", seats=5, tutors=[tutor], language="pt")
    b = make_cohort(tutored, season=season, name="B", seats=1, tutors=[tutor])
    offering_for(self_paced, season)
    for n in range(2):
        enroll(make_user(email=f"a{n}@example.org"), tutored, a)
    enroll(make_user(email="b@example.org"), tutored, b)
    waiting = make_user(email="waiting@example.org")
    services.join_waitlist(waiting, b)
    services.enroll(waiting, offering_for(self_paced, season))
    db.session.commit()
    return season


def test_copy_shifts_dates_and_keeps_cohorts_and_tutors_but_no_learners(app, season_with_learners):
    source = season_with_learners
    before = {"Enrollment": count(Enrollment), "WaitlistEntry": count(WaitlistEntry)}

    result = run(app, "copy", "Season 2031", "Season 2032", "--shift-days", "365")

    assert result.exit_code == 0, result.output
    source = season_named("Season 2031")
    copy = season_named("Season 2032")
    assert copy.state == SeasonState.DRAFT
    assert copy.starts_on == source.starts_on + timedelta(days=365)
    assert copy.ends_on == source.ends_on + timedelta(days=365)
    assert sorted(o.course.slug for o in copy.offerings) == [SELF_PACED, TUTORED]
    [tutored] = [o for o in copy.offerings if o.course.slug == TUTORED]
    assert [(c.name, c.seats, c.seats_taken, c.language) for c in tutored.cohorts] == [
        ("A", 5, 0, "pt"),
        ("B", 1, 0, "es"),
    ]
    assert tutored.cohorts[0].starts_on == days(20 + 365)
    assert all([t.email for t in c.tutors] == [TUTOR_EMAIL] for c in tutored.cohorts)
    assert count(Enrollment) == before["Enrollment"] == 4
    assert db.session.scalar(select(func.count()).where(Enrollment.season_id == copy.id)) == 0
    assert count(WaitlistEntry) == before["WaitlistEntry"] == 1
    assert "draft" in result.output
    assert 'flask seasons open "Season 2032"' in result.output
    assert "courses: 2" in result.output
    assert "cohorts: 2" in result.output


def test_copy_with_starts_computes_the_shift_and_clears_tutors(app, season_with_learners):
    source = season_with_learners
    new_start = source.starts_on + timedelta(days=400)

    result = run(app, "copy", str(source.id), "Next", "--starts", iso(new_start), "--clear-tutors")

    assert result.exit_code == 0, result.output
    copy = season_named("Next")
    assert copy.starts_on == new_start
    assert copy.ends_on == days(300 + 400)
    cohorts = [c for o in copy.offerings for c in o.cohorts]
    assert len(cohorts) == 2
    assert all(c.tutors == [] for c in cohorts)
    # The source keeps its tutors.
    source = season_named("Season 2031")
    assert all(c.tutors for o in source.offerings for c in o.cohorts)


@pytest.mark.parametrize(
    "shift", [[], ["--shift-days", "10", "--starts", "2040-01-01"], ["--shift-days", "x"]]
)
def test_copy_needs_exactly_one_valid_shift(app, season_with_learners, shift):
    result = run(app, "copy", "Season 2031", "Next", *shift)

    assert result.exit_code != 0
    assert season_named("Next") is None


def test_copy_refuses_a_name_in_use_and_an_unknown_source(app, season_with_learners):
    taken = run(app, "copy", "Season 2031", "Season 2031", "--shift-days", "365")
    unknown = run(app, "copy", "Season 1999", "Next", "--shift-days", "365")

    assert_refused(taken, said("There is already a season named “%(name)s”.", name="Season 2031"))
    assert_refused(unknown, "Season 1999")
    assert count(Season) == 1


def test_copy_refuses_a_shift_of_more_than_ten_years(app, season_with_learners):
    result = run(app, "copy", "Season 2031", "Far", "--shift-days", "4000")

    assert_refused(result, messages("Shift the dates by at most ten years."))
    assert count(Season) == 1
    assert count(Cohort) == 2


# close --------------------------------------------------------------------------------


def test_close_stops_enrollment(app, season_with_learners, make_user):
    result = run(app, "close", "Season 2031")

    assert result.exit_code == 0, result.output
    season = season_named("Season 2031")
    assert season.state == SeasonState.CLOSED
    [tutored] = [o for o in season.offerings if o.course.kind == CourseKind.TUTOR_LED]
    with pytest.raises(services.EnrollmentClosed):
        services.enroll(make_user(email="late@example.org"), tutored, tutored.cohorts[0])
    # What learners did stays.
    assert count(Enrollment) == 4


def test_close_refuses_an_unknown_season(app, season_with_learners):
    result = run(app, "close", "99999")

    assert_refused(result, "99999")
    assert season_named("Season 2031").is_open


# list ---------------------------------------------------------------------------------


def test_list_shows_each_season_with_its_figures(app, season_with_learners):
    make_season("Empty draft", state=SeasonState.DRAFT, starts_on=days(400), ends_on=days(500))
    db.session.commit()
    season = season_with_learners

    result = run(app, "list")

    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()[1:]}
    assert rows[str(season.id)][-4:] == ["open", "2", "2", "4"]
    assert f"{iso(season.starts_on)} to {iso(season.ends_on)}" in result.output
    [draft] = [row for key, row in rows.items() if key != str(season.id)]
    assert draft[-4:] == ["draft", "0", "0", "0"]
    assert "Empty draft" in result.output


def test_list_runs_a_fixed_number_of_queries(app, courses, make_user):
    tutored, self_paced = courses

    def queries():
        db.session.commit()
        db.session.expire_all()
        with counting_queries() as statements:
            assert run(app, "list").exit_code == 0
        return len(statements)

    season = make_season("First")
    make_cohort(tutored, season=season)
    few = queries()
    for n in range(6):
        season = make_season(f"More {n}", starts_on=days(-n - 1), ends_on=days(n + 100))
        make_cohort(tutored, season=season)
        make_cohort(tutored, season=season)
        services.enroll(make_user(), offering_for(self_paced, season))
    assert queries() == few


def test_list_without_seasons_says_how_to_make_one(app):
    result = run(app, "list")

    assert result.exit_code == 0
    assert "flask seasons open" in result.output


# demo setup ---------------------------------------------------------------------------


def demo_setup(demo_app):
    return demo_app.test_cli_runner().invoke(args=["demo", "setup"])


def test_demo_setup_opens_one_season_with_a_cohort_per_tutor_led_course(demo_app):
    courses = import_season()
    tutor_led = sorted(c.slug for c in courses if c.kind == CourseKind.TUTOR_LED)
    assert tutor_led  # the real content has tutor-led courses

    first = demo_setup(demo_app)
    second = demo_setup(demo_app)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    [season] = db.session.scalars(select(Season)).all()
    today = date.today()
    assert season.name == f"Season {today.year}"
    assert season.is_open
    assert (season.starts_on, season.ends_on) == (
        today - timedelta(days=30),
        today + timedelta(days=300),
    )
    assert len(season.offerings) == len(courses)
    tutor = db.session.scalar(select(User).where(User.email == DEMO_TUTOR_EMAIL))
    assert tutor.is_tutor and not tutor.is_admin
    cohorts = [c for o in season.offerings for c in o.cohorts]
    assert sorted(c.offering.course.slug for c in cohorts) == tutor_led
    for cohort in cohorts:
        assert cohort.name == "A"
        assert cohort.starts_on == today + timedelta(days=14)
        assert cohort.ends_on == cohort.starts_on + timedelta(days=90)
        assert cohort.enroll_opens_on == today - timedelta(days=30)
        assert cohort.enroll_closes_on == cohort.starts_on - timedelta(days=1)
        # The demo learner has a place in one of them (tests/demo/test_setup.py).
        assert cohort.seats == 25 and cohort.seats_taken <= 1
        assert cohort.language == cohort.offering.course.language
        assert cohort.tutors == [tutor]
        assert services.enrollment_open(cohort.offering, cohort)
    assert sum(cohort.seats_taken for cohort in cohorts) == 1
    password = (Path(demo_app.instance_path) / "demo_tutor_password").read_text().strip()
    assert DEMO_TUTOR_EMAIL in first.output and password in first.output
    assert password in second.output  # the same password the second time
    assert f"Season {today.year}" in first.output
    assert "left as they are" in second.output


def test_demo_setup_leaves_an_existing_season_alone(demo_app, courses):
    make_season("Mine", state=SeasonState.DRAFT)
    db.session.commit()

    result = demo_setup(demo_app)

    assert result.exit_code == 0, result.output
    assert [s.name for s in db.session.scalars(select(Season))] == ["Mine"]
    assert season_named("Mine").offerings == []
    assert db.session.scalar(select(User).where(User.email == DEMO_TUTOR_EMAIL)) is None


def test_demo_setup_without_courses_makes_no_season(demo_app):
    result = demo_setup(demo_app)

    assert result.exit_code == 0, result.output
    assert count(Season) == 0
    assert "content import" in result.output
