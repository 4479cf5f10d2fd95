"""`flask demo setup`: the institutions, the demo accounts, a demo season and a little of each
of the network's areas (app/demo/areas.py), made through the areas' own services (what
`make run` needs to show a working platform)."""

import secrets
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.catalog.models import Course, CourseKind
from app.core.refusals import Refusal
from app.demo.areas import set_up_areas
from app.extensions import db
from app.seasons import services as seasons
from app.seasons.models import Season

DEMO_ADMIN_EMAIL = "admin@aula.example"
DEMO_TUTOR_EMAIL = "tutor@aula.example"
DEMO_COHORT_SEATS = 25


class DemoSetupError(Exception):
    """The demo season could not be made; the message says why."""


def set_up_demo(instance_path: Path, today: date) -> list[str]:
    """Load the institutions, make sure the demo accounts exist and, once course content is
    imported, open a demo season (an existing season is left as it is). Flushed, not
    committed; the lines to print."""
    added, updated = accounts.load_institutions()
    admin_password = _demo_account(
        instance_path, DEMO_ADMIN_EMAIL, "Demo Administrator", Role.ADMIN, "demo_admin_password"
    )
    has_courses = db.session.scalar(select(Course.id).limit(1)) is not None
    has_season = db.session.scalar(select(Season.id).limit(1)) is not None
    tutor_password = None
    if (has_courses and not has_season) or accounts.find_user_by_email(DEMO_TUTOR_EMAIL):
        tutor_password = _demo_account(
            instance_path, DEMO_TUTOR_EMAIL, "Demo Tutor", Role.TUTOR, "demo_tutor_password"
        )
    if has_season:
        season_line = "Season: a season exists already; seasons left as they are."
    elif not has_courses:
        season_line = (
            "Season: none, as no course is imported (flask content import course_content)."
        )
    else:
        try:
            tutor = accounts.find_user_by_email(DEMO_TUTOR_EMAIL)
            season_line = _demo_season(tutor, today)
        except seasons.SeasonError as error:
            raise DemoSetupError(f"the demo season: {error}") from error
    try:
        areas = set_up_areas(
            accounts.find_user_by_email(DEMO_ADMIN_EMAIL),
            accounts.find_user_by_email(DEMO_TUTOR_EMAIL),
            lambda email, full_name, password_name: _demo_account(
                instance_path, email, full_name, Role.LEARNER, password_name
            ),
            today,
        )
    except Refusal as error:
        raise DemoSetupError(f"the areas' demo content: {error}") from error
    lines = [
        f"Institutions: {added} added, {updated} updated.",
        season_line,
        *areas.lines,
        "",
        "  Sign in as an administrator at http://127.0.0.1:5000/login",
        f"    email:    {DEMO_ADMIN_EMAIL}",
        f"    password: {admin_password}",
    ]
    if tutor_password is not None:
        lines += [
            "  or as the tutor of the demo cohorts:",
            f"    email:    {DEMO_TUTOR_EMAIL}",
            f"    password: {tutor_password}",
        ]
    for who, email, password in areas.accounts:
        lines += [f"  or as {who}:", f"    email:    {email}", f"    password: {password}"]
    lines += ["  Mail is not sent in development: read it at /admin/outbox or in this log.", ""]
    return lines


def _demo_account(
    instance_path: Path, email: str, full_name: str, role: Role, password_name: str
) -> str:
    """Make sure the account exists and its password is in the instance folder; the password."""
    password_file = instance_path / password_name
    user = accounts.find_user_by_email(email)
    if user is None or not password_file.exists():
        password = secrets.token_urlsafe(12)
        if user is None:
            accounts.create_user(email, full_name, role, password, check_strength=False)
        else:
            accounts.set_password(user, password)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password)
        password_file.chmod(0o600)
    return password_file.read_text().strip()


def _demo_season(tutor: User, today: date) -> str:
    """Open "Season <year>" offering every course, one cohort "A" per tutor-led course."""
    season = seasons.create_season(
        f"Season {today.year}",
        today - timedelta(days=30),
        today + timedelta(days=300),
        {"es": f"Temporada {today.year}", "pt": f"Temporada {today.year}"},
    )
    starts = today + timedelta(days=14)
    cohorts = 0
    for course in db.session.scalars(select(Course).order_by(Course.position, Course.slug)):
        offering = seasons.offer_course(season, course)
        if course.kind == CourseKind.TUTOR_LED:
            seasons.add_cohort(
                offering,
                seasons.CohortPlan(
                    name="A",
                    starts_on=starts,
                    ends_on=starts + timedelta(days=90),
                    enroll_opens_on=today - timedelta(days=30),
                    enroll_closes_on=starts - timedelta(days=1),
                    seats=DEMO_COHORT_SEATS,
                    language=course.language,
                    tutors=[tutor],
                ),
            )
            cohorts += 1
    seasons.open_season(season)
    return (
        f"Season: “{season.name}” opened with {len(season.offerings)} courses "
        f"({cohorts} cohorts led by {DEMO_TUTOR_EMAIL})."
    )
