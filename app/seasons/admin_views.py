"""Administrators' pages for seasons, offerings, cohorts and their rosters."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from app.accounts import services as accounts
from app.accounts.forms import PersonActionForm
from app.catalog.models import CourseKind
from app.core.auth import admin_blueprint
from app.core.i18n import localise
from app.seasons import enrollments, queries, services
from app.seasons.forms import CohortForm, CopySeasonForm, OfferingForm, SeasonForm, WindowForm
from app.seasons.models import Cohort, Offering, SeasonState
from app.seasons.queries import (
    COHORT_CONTEXT,
    OFFERING_CONTEXT,
    SEASON_PROGRAMME,
    load_cohort_or_404,
    load_offering_or_404,
    load_season_or_404,
)

bp = admin_blueprint("seasons_admin", __name__, template_folder="templates", url_prefix="/admin")

# A form sent back with its errors. 200 rather than 400: tests/test_access.py posts every
# POST-only route with an empty form and expects an administrator to get a page, not an error.
INVALID = 200

STATE_LABELS = {
    SeasonState.DRAFT: _l("Draft"),
    SeasonState.OPEN: _l("Open"),
    SeasonState.CLOSED: _l("Closed"),
}


@bp.context_processor
def page_helpers():
    return {
        "state_labels": STATE_LABELS,
        # Pages other parts of the area provide; linked to only once they exist.
        "page_exists": lambda endpoint: endpoint in current_app.view_functions,
        "tutor_led": CourseKind.TUTOR_LED,
    }


def _refused(form, error: services.SeasonError) -> None:
    """Show why above the form (the refusal undid what the service had changed)."""
    form.form_errors.append(str(error))


def _on_get(values: dict) -> dict | None:
    """Initial values for a form shown by GET; a POST fills it from what was sent."""
    return values if request.method == "GET" else None


# Seasons ------------------------------------------------------------------------------


def _seasons_page(create_form=None, copy_form=None, status=200):
    rows = services.seasons_with_counts()
    seasons = [row[0] for row in rows]
    create_form = create_form or SeasonForm(formdata=None, prefix="new")
    copy_form = copy_form or CopySeasonForm(formdata=None, prefix="copy", seasons=seasons)
    return (
        render_template(
            "seasons/admin/seasons.html",
            rows=rows,
            create_form=create_form,
            copy_form=copy_form,
        ),
        status,
    )


@bp.get("/seasons")
def seasons():
    return _seasons_page()


@bp.post("/seasons")
def create_season():
    form = SeasonForm(prefix="new")
    if form.validate_on_submit():
        try:
            season = services.create_season(
                form.name.data, form.starts_on.data, form.ends_on.data, form.names
            )
        except services.SeasonError as error:
            _refused(form, error)
        else:
            flash(_("Season “%(name)s” created, in draft.", name=season.name), "success")
            return redirect(url_for("seasons_admin.season", season_id=season.id))
    return _seasons_page(create_form=form, status=INVALID)


@bp.post("/seasons/copy")
def copy_season():
    form = CopySeasonForm(prefix="copy", seasons=services.list_seasons())
    if form.validate_on_submit():
        try:
            copy = services.copy_season(
                form.source_season,
                form.name.data,
                shift_days=form.shift_days.data,
                keep_tutors=form.keep_tutors.data,
                names=form.names,
            )
        except services.SeasonError as error:
            _refused(form, error)
        else:
            flash(
                _(
                    "Season “%(name)s” created from “%(source)s”, in draft.",
                    name=copy.name,
                    source=form.source_season.name,
                ),
                "success",
            )
            return redirect(url_for("seasons_admin.season", season_id=copy.id))
    return _seasons_page(copy_form=form, status=INVALID)


def _season_data(season) -> dict:
    """The season form's fields as saved."""
    return {
        "name": season.name,
        **{f"name_{language}": name for language, name in season.names.items()},
        "starts_on": season.starts_on,
        "ends_on": season.ends_on,
    }


def _season_page(season_id: int, season_form=None, offer_form=None, status=200):
    # The season with its courses, cohorts and their tutors, in a fixed number of queries.
    season = load_season_or_404(season_id, options=SEASON_PROGRAMME)
    enrolled = queries.enrollments_per_course(season)
    waiting = queries.waiting_per_cohort(season)
    not_offered = queries.courses_not_offered(season)
    season_form = season_form or SeasonForm(
        formdata=None,
        prefix="season",
        data=_season_data(season),
    )
    offer_form = offer_form or OfferingForm(formdata=None, prefix="offer", courses=not_offered)
    window_forms = {
        offering.id: _window_form(offering, posted=False)
        for offering in season.offerings
        if offering.course.kind != CourseKind.TUTOR_LED
    }
    return (
        render_template(
            "seasons/admin/season.html",
            season=season,
            enrolled=enrolled,
            total_enrolled=sum(enrolled.values()),
            waiting=waiting,
            season_form=season_form,
            offer_form=offer_form,
            window_forms=window_forms,
        ),
        status,
    )


@bp.route("/seasons/<int:season_id>", methods=["GET", "POST"])
def season(season_id):
    season = load_season_or_404(season_id)
    form = SeasonForm(
        prefix="season",
        data=_on_get(_season_data(season)),
    )
    if form.validate_on_submit():
        try:
            services.update_season(
                season, form.name.data, form.starts_on.data, form.ends_on.data, form.names
            )
        except services.SeasonError as error:
            _refused(form, error)
        else:
            flash(_("Season saved."), "success")
            return redirect(url_for("seasons_admin.season", season_id=season.id))
    status = INVALID if request.method == "POST" else 200
    return _season_page(season_id, season_form=form, status=status)


def _season_action(season_id: int, action, done_message):
    season = load_season_or_404(season_id)
    try:
        action(season)
    except services.SeasonError as error:
        flash(str(error), "error")
    else:
        flash(done_message, "success")
    return redirect(url_for("seasons_admin.season", season_id=season_id))


@bp.post("/seasons/<int:season_id>/open")
def open_season(season_id):
    return _season_action(
        season_id, services.open_season, _("The season is open: learners can enrol.")
    )


@bp.post("/seasons/<int:season_id>/close")
def close_season(season_id):
    return _season_action(
        season_id,
        services.close_season,
        _("The season is closed: enrolment and submissions have stopped."),
    )


@bp.post("/seasons/<int:season_id>/delete")
def delete_season(season_id):
    season = load_season_or_404(season_id)
    name = season.name
    try:
        services.delete_season(season)
    except services.SeasonError as error:
        flash(str(error), "error")
        return redirect(url_for("seasons_admin.season", season_id=season_id))
    flash(_("Season “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("seasons_admin.seasons"))


@bp.post("/seasons/<int:season_id>/offerings")
def add_offering(season_id):
    season = load_season_or_404(season_id)
    form = OfferingForm(prefix="offer", courses=queries.courses_not_offered(season))
    if form.validate_on_submit():
        course = form.chosen_course
        try:
            services.offer_course(
                season, course, form.enroll_opens_on.data, form.enroll_closes_on.data
            )
        except services.SeasonError as error:
            _refused(form, error)
        else:
            flash(_("The course is offered in this season."), "success")
            return redirect(url_for("seasons_admin.season", season_id=season_id))
    return _season_page(season_id, offer_form=form, status=INVALID)


# Offerings ----------------------------------------------------------------------------


def _window_form(offering: Offering, *, posted: bool) -> WindowForm:
    """The window form of one offering; its prefix keeps several apart on the season page.

    `posted`: filled from the request when it is a POST (else from the offering).
    """
    values = {
        "enroll_opens_on": offering.enroll_opens_on,
        "enroll_closes_on": offering.enroll_closes_on,
    }
    prefix = f"window-{offering.id}"
    if posted:
        return WindowForm(prefix=prefix, data=_on_get(values))
    return WindowForm(formdata=None, prefix=prefix, data=values)


@bp.route("/offerings/<int:offering_id>", methods=["GET", "POST"])
def offering(offering_id):
    offering = load_offering_or_404(offering_id, options=OFFERING_CONTEXT)
    # A tutor-led course has its enrolment dates on each cohort: no window to edit.
    form = (
        _window_form(offering, posted=True)
        if offering.course.kind != CourseKind.TUTOR_LED
        else None
    )
    status = 200
    if form is not None and request.method == "POST":
        if form.validate_on_submit():
            try:
                services.set_offering_window(
                    offering, form.enroll_opens_on.data, form.enroll_closes_on.data
                )
            except services.SeasonError as error:
                _refused(form, error)
            else:
                flash(_("Enrolment window saved."), "success")
                return redirect(url_for("seasons_admin.offering", offering_id=offering_id))
        status = INVALID
        offering = load_offering_or_404(offering_id, options=OFFERING_CONTEXT)
    learners = queries.offering_learners(offering)
    return (
        render_template(
            "seasons/admin/offering.html", offering=offering, form=form, learners=learners
        ),
        status,
    )


@bp.post("/offerings/<int:offering_id>/remove")
def remove_offering(offering_id):
    offering = load_offering_or_404(offering_id, options=OFFERING_CONTEXT)
    season_id = offering.season_id
    try:
        services.remove_offering(offering)
    except services.SeasonError as error:
        flash(str(error), "error")
        return redirect(url_for("seasons_admin.offering", offering_id=offering_id))
    flash(_("The course is no longer offered in this season."), "success")
    return redirect(url_for("seasons_admin.season", season_id=season_id))


# Cohorts ------------------------------------------------------------------------------


def _cohort_values(cohort: Cohort) -> dict:
    return {
        "name": cohort.name,
        "starts_on": cohort.starts_on,
        "ends_on": cohort.ends_on,
        "enroll_opens_on": cohort.enroll_opens_on,
        "enroll_closes_on": cohort.enroll_closes_on,
        "seats": cohort.seats,
        "language": cohort.language,
        "tutors": [str(t.id) for t in cohort.tutors],
        "capstone_due_on": cohort.capstone_due_on,
        "capstone_cutoff_on": cohort.capstone_cutoff_on,
    }


@bp.route("/offerings/<int:offering_id>/cohorts/new", methods=["GET", "POST"])
def new_cohort(offering_id):
    offering = load_offering_or_404(offering_id, options=OFFERING_CONTEXT)
    if offering.course.kind != CourseKind.TUTOR_LED:
        flash(_("Only tutor-led courses run in cohorts."), "error")
        return redirect(url_for("seasons_admin.offering", offering_id=offering_id))
    form = CohortForm(
        course=offering.course,
        tutors=queries.list_tutors(),
        data=_on_get({"language": offering.course.language}),
    )
    if form.validate_on_submit():
        try:
            cohort = services.add_cohort(offering, form.plan())
        except services.SeasonError as error:
            _refused(form, error)
        else:
            flash(_("Cohort “%(name)s” added.", name=cohort.name), "success")
            return redirect(url_for("seasons_admin.cohort", cohort_id=cohort.id))
    status = INVALID if request.method == "POST" else 200
    return render_template("seasons/admin/new_cohort.html", offering=offering, form=form), status


@bp.route("/cohorts/<int:cohort_id>", methods=["GET", "POST"])
def cohort(cohort_id):
    cohort = load_cohort_or_404(cohort_id, options=COHORT_CONTEXT)
    course = cohort.offering.course
    form = CohortForm(
        course=course, tutors=queries.list_tutors(), data=_on_get(_cohort_values(cohort))
    )
    status = 200
    if form.validate_on_submit():
        try:
            promoted = services.update_cohort(cohort, form.plan())
        except services.SeasonError as error:
            _refused(form, error)
        else:
            flash(_("Cohort saved."), "success")
            if promoted:
                flash(
                    ngettext(
                        "%(num)s person from the waiting list got a seat and was told by email.",
                        "%(num)s people from the waiting list got seats and were told by email.",
                        len(promoted),
                    ),
                    "success",
                )
            return redirect(url_for("seasons_admin.cohort", cohort_id=cohort_id))
    if request.method == "POST":
        status = INVALID
        cohort = load_cohort_or_404(cohort_id, options=COHORT_CONTEXT)
    roster = services.cohort_learners(cohort)
    return (
        render_template(
            "seasons/admin/cohort.html",
            cohort=cohort,
            form=form,
            roster=roster,
            waiting=services.waitlist(cohort),
        ),
        status,
    )


@bp.post("/cohorts/<int:cohort_id>/open-early")
def open_cohort_early(cohort_id):
    """Open the cohort's course to its learners before its first day."""
    cohort = load_cohort_or_404(cohort_id, options=COHORT_CONTEXT)
    try:
        services.open_cohort_early(cohort, current_user)
    except services.SeasonError as error:
        flash(str(error), "error")
    else:
        flash(_("The cohort's course is open: its learners can start now."), "success")
    return redirect(url_for("seasons_admin.cohort", cohort_id=cohort_id))


@bp.post("/cohorts/<int:cohort_id>/delete")
def delete_cohort(cohort_id):
    cohort = load_cohort_or_404(cohort_id, options=COHORT_CONTEXT)
    season_id, name = cohort.offering.season_id, cohort.name
    try:
        services.remove_cohort(cohort)
    except services.SeasonError as error:
        flash(str(error), "error")
        return redirect(url_for("seasons_admin.cohort", cohort_id=cohort_id))
    flash(_("Cohort “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("seasons_admin.season", season_id=season_id))


# Enrolments ---------------------------------------------------------------------------


@bp.route("/enrollments/<int:enrollment_id>/remove", methods=["GET", "POST"])
def remove_enrollment(enrollment_id):
    enrollment = enrollments.load_enrollment(enrollment_id) or abort(404)
    if enrollment.cohort_id is not None:
        back = url_for("seasons_admin.cohort", cohort_id=enrollment.cohort_id)
    else:
        offering_id = queries.find_offering_id(enrollment.season_id, enrollment.course_id)
        back = (
            url_for("seasons_admin.offering", offering_id=offering_id)
            if offering_id is not None
            else url_for("seasons_admin.season", season_id=enrollment.season_id)
        )
    form = PersonActionForm()
    if not form.validate_on_submit():
        return render_template(
            "seasons/admin/remove_enrollment.html", enrollment=enrollment, back=back, form=form
        )
    learner, name = enrollment.user, enrollment.user.full_name
    course = enrollment.course
    what = f"{localise(course.title, course.language)} · {enrollment.season.name}"
    reason = accounts.check_reason(form.reason.data)
    promoted = services.withdraw(enrollment, by_admin=True)
    accounts.record_action(learner, current_user, "withdrawn", what, reason)
    flash(_("%(name)s no longer has a place in the course.", name=name), "success")
    for user in promoted:
        flash(
            _("%(name)s, first on the waiting list, got the seat.", name=user.full_name),
            "success",
        )
    return redirect(back)
