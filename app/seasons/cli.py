"""`flask seasons ...`: open, copy, add cohorts, close and list seasons.

Each command calls app/seasons/services.py, which flushes; the command commits once at the
end, or on an error rolls back and exits non-zero with the message, having changed nothing.
"""

from datetime import date

import click
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.services import find_user_by_email
from app.catalog.models import Course, CourseKind
from app.core.commands import one_commit
from app.extensions import db
from app.seasons import services
from app.seasons.models import Season, SeasonState

DAY = click.DateTime(formats=["%Y-%m-%d"])


def _day(value) -> date | None:
    """A click.DateTime value as a calendar day (None stays None)."""
    return value.date() if value is not None else None


def _one_commit():
    return one_commit(services.SeasonError)


def _season(reference: str) -> Season:
    season = services.find_season(reference)
    if season is None:
        raise click.ClickException(f"no season named “{reference.strip()}” or with that id")
    return season


def _courses(slugs) -> list[Course]:
    """The courses with these slugs, in the order given; all of them must exist."""
    wanted = list(dict.fromkeys(slug.strip() for slug in slugs))
    found = {
        course.slug: course
        for course in db.session.scalars(select(Course).where(Course.slug.in_(wanted)))
    }
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise click.ClickException(
            f"no course with the slug {', '.join(unknown)} (see `flask content import`)"
        )
    return [found[slug] for slug in wanted]


def _tutors(emails) -> list:
    """The accounts with these emails; each must exist and have the tutor role."""
    tutors = []
    for email in dict.fromkeys(emails):
        user = find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"no account with the email {email}")
        if not user.is_tutor:
            raise click.ClickException(
                f"{user.email} does not have the tutor role: grant it with "
                f"`flask users set-role {user.email} --tutor`"
            )
        tutors.append(user)
    return tutors


def _dates(season: Season) -> str:
    return f"{season.starts_on.isoformat()} to {season.ends_on.isoformat()}"


@click.group("seasons", help="Seasons of courses and their cohorts.")
def seasons_cli():
    pass


# list ---------------------------------------------------------------------------------


@seasons_cli.command("list")
@with_appcontext
def list_():
    """Every season: id, name, dates, state, courses, cohorts and learners enrolled."""
    seasons = services.seasons_with_counts()
    if not seasons:
        click.echo(
            "No seasons yet: create one with "
            "`flask seasons open NAME --starts YYYY-MM-DD --ends YYYY-MM-DD --course SLUG`."
        )
        return
    rows = [("ID", "NAME", "DATES", "STATE", "COURSES", "COHORTS", "ENROLLED")]
    for season, courses, cohorts, enrolled in seasons:
        rows.append(
            (
                str(season.id),
                season.name,
                _dates(season),
                season.state.value,
                str(courses),
                str(cohorts),
                str(enrolled),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


# open ---------------------------------------------------------------------------------


@seasons_cli.command("open")
@click.argument("name")
@click.option("--starts", type=DAY, help="First day (YYYY-MM-DD); required for a new season.")
@click.option("--ends", type=DAY, help="Last day (YYYY-MM-DD); required for a new season.")
@click.option(
    "--course", "slugs", multiple=True, metavar="SLUG", help="Offer this course (repeatable)."
)
@click.option("--all-courses", is_flag=True, help="Offer every imported course.")
@click.option("--name-es", help="The name learners reading Spanish see (default: NAME).")
@click.option("--name-pt", help="The name learners reading Portuguese see (default: NAME).")
@click.option("--name-en", help="The name learners reading English see (default: NAME).")
@with_appcontext
def open_(name, starts, ends, slugs, all_courses, name_es, name_pt, name_en):
    """Create the season NAME if needed, add courses to it and open it for enrolment."""
    starts, ends = _day(starts), _day(ends)
    if not name.strip():
        raise click.ClickException(str(_l("A season needs a name.")))
    if all_courses:
        courses = list(db.session.scalars(select(Course).order_by(Course.position, Course.slug)))
    else:
        courses = _courses(slugs)
    names = {"es": name_es, "pt": name_pt, "en": name_en}
    with _one_commit() as say:
        season = services.find_season(name)
        if season is None:
            if starts is None or ends is None:
                raise click.ClickException(
                    f"there is no season “{name.strip()}” yet: give --starts and --ends "
                    "(YYYY-MM-DD) to create it"
                )
            season = services.create_season(name, starts, ends, names)
            say(f"Created season “{season.name}” (id {season.id}), {_dates(season)}.")
        elif any(names.values()):
            services.rename_season(season, {k: v for k, v in names.items() if v})
        elif (starts and starts != season.starts_on) or (ends and ends != season.ends_on):
            raise click.ClickException(
                f"season “{season.name}” already exists, {_dates(season)}: leave out --starts "
                "and --ends, or change its dates on the administration page"
            )
        if season.state == SeasonState.CLOSED and season.offerings:
            services.open_season(season)  # a closed season takes no new courses
        offered = {offering.course_id for offering in season.offerings}
        for course in courses:
            if course.id in offered:
                say(f"  {course.slug}: already offered")
                continue
            services.offer_course(season, course)
            say(f"  {course.slug}: added")
        services.open_season(season)
        for offering in season.offerings:
            if offering.course.kind == CourseKind.TUTOR_LED and not offering.cohorts:
                say(
                    f"  warning: {offering.course.slug} is tutor-led and has no cohort, so "
                    f"nobody can enrol in it: add one with `flask seasons add-cohort "
                    f"{season.id} {offering.course.slug} ...`"
                )
        say(f"Season “{season.name}” is open: {_dates(season)}, {len(season.offerings)} course(s).")
        say(f"  shown as: {_shown_names(season)}")


# copy ---------------------------------------------------------------------------------


@seasons_cli.command("copy")
@click.argument("source")
@click.argument("name")
@click.option("--shift-days", type=int, help="Move every date by this many days.")
@click.option("--starts", type=DAY, help="The copy's first day (YYYY-MM-DD); sets the shift.")
@click.option(
    "--keep-tutors/--clear-tutors", default=True, show_default=True, help="Copy cohort tutors."
)
@click.option("--name-es", help="The name learners reading Spanish see (default: NAME).")
@click.option("--name-pt", help="The name learners reading Portuguese see (default: NAME).")
@click.option("--name-en", help="The name learners reading English see (default: NAME).")
@with_appcontext
def copy(source, name, shift_days, starts, keep_tutors, name_es, name_pt, name_en):
    """Copy season SOURCE into a new draft season NAME: courses and cohorts, no learners."""
    if (shift_days is None) == (starts is None):
        raise click.UsageError("give either --shift-days or --starts (one of them)")
    original = _season(source)
    if starts is not None:
        shift_days = (_day(starts) - original.starts_on).days
    with _one_commit() as say:
        season = services.copy_season(
            original,
            name,
            shift_days=shift_days,
            keep_tutors=keep_tutors,
            names={"es": name_es, "pt": name_pt, "en": name_en},
        )
        cohorts = [cohort for offering in season.offerings for cohort in offering.cohorts]
        say(
            f"Copied “{original.name}” to “{season.name}” (id {season.id}), {_dates(season)}, "
            f"dates shifted by {shift_days} day(s)."
        )
        say(f"  shown as: {_shown_names(season)}")
        say(f"  courses: {len(season.offerings)}")
        for offering in season.offerings:
            names = ", ".join(cohort.name for cohort in offering.cohorts)
            say(f"    {offering.course.slug}" + (f" (cohorts: {names})" if names else ""))
        tutors = "tutors kept" if keep_tutors else "tutors cleared"
        say(f"  cohorts: {len(cohorts)}, {tutors}; no learners copied.")
        say(f"It is a draft: open it with `flask seasons open {_quoted(season.name)}`.")


def _shown_names(season) -> str:
    """The season's name in each language, for the operator."""
    return ", ".join(f"{language}: “{name}”" for language, name in season.names.items())


def _quoted(text: str) -> str:
    """The argument as a shell needs it when it has spaces."""
    return f'"{text}"' if any(c.isspace() for c in text) else text


# add-cohort ---------------------------------------------------------------------------


@seasons_cli.command("add-cohort")
@click.argument("season_reference", metavar="SEASON")
@click.argument("course_slug")
@click.option("--name", required=True, help="The cohort's name, e.g. A.")
@click.option("--starts", type=DAY, required=True, help="First day (YYYY-MM-DD).")
@click.option("--ends", type=DAY, required=True, help="Last day (YYYY-MM-DD).")
@click.option("--enroll-opens", type=DAY, required=True, help="Enrolment opens (YYYY-MM-DD).")
@click.option("--enroll-closes", type=DAY, required=True, help="Enrolment closes (YYYY-MM-DD).")
@click.option("--seats", type=int, required=True, help="How many learners it takes.")
@click.option("--language", help="Language of instruction; the course's main one if not given.")
@click.option("--tutor", "emails", multiple=True, metavar="EMAIL", help="A tutor (repeatable).")
@click.option("--capstone-due", type=DAY, help="Capstone deadline (YYYY-MM-DD), optional.")
@click.option(
    "--capstone-cutoff",
    type=DAY,
    help="Capstone cut-off (YYYY-MM-DD): nothing is accepted after it; optional.",
)
@with_appcontext
def add_cohort(
    season_reference,
    course_slug,
    name,
    starts,
    ends,
    enroll_opens,
    enroll_closes,
    seats,
    language,
    emails,
    capstone_due,
    capstone_cutoff,
):
    """Add a cohort of the tutor-led course COURSE_SLUG to SEASON (offered first if need be)."""
    season = _season(season_reference)
    [course] = _courses([course_slug])
    tutors = _tutors(emails)
    with _one_commit() as say:
        offering = next((o for o in season.offerings if o.course_id == course.id), None)
        if offering is None:
            if course.kind != CourseKind.TUTOR_LED:
                raise services.InvalidSeason(_l("Only tutor-led courses run in cohorts."))
            offering = services.offer_course(season, course)
            say(f"  {course.slug}: added to “{season.name}”")
        cohort = services.add_cohort(
            offering,
            services.CohortPlan(
                name=name,
                starts_on=_day(starts),
                ends_on=_day(ends),
                enroll_opens_on=_day(enroll_opens),
                enroll_closes_on=_day(enroll_closes),
                seats=seats,
                language=(language or course.language).strip().lower(),
                tutors=tutors,
                capstone_due_on=_day(capstone_due),
                capstone_cutoff_on=_day(capstone_cutoff),
            ),
        )
        led_by = ", ".join(tutor.email for tutor in cohort.tutors) or "no tutor yet"
        say(
            f"Added cohort “{cohort.name}” of {course.slug} to “{season.name}”: "
            f"{cohort.starts_on.isoformat()} to {cohort.ends_on.isoformat()}, enrolment "
            f"{cohort.enroll_opens_on.isoformat()} to {cohort.enroll_closes_on.isoformat()}, "
            f"{cohort.seats} seats, {cohort.language}, {led_by}."
        )
        if cohort.capstone_due_on:
            cutoff = cohort.capstone_cutoff_on
            say(
                f"  capstone due {cohort.capstone_due_on.isoformat()}, "
                + (f"cut-off {cutoff.isoformat()}." if cutoff else "no cut-off.")
            )
        if season.state == SeasonState.DRAFT:
            say(f"The season is a draft: open it with `flask seasons open {season.id}`.")


# close --------------------------------------------------------------------------------


@seasons_cli.command("close")
@click.argument("season_reference", metavar="SEASON")
@with_appcontext
def close(season_reference):
    """Close SEASON: enrolment and submissions stop; what learners did stays readable."""
    season = _season(season_reference)
    with _one_commit() as say:
        services.close_season(season)
        say(f"Season “{season.name}” is closed: enrolment and submissions have stopped.")
