"""Learners enrol in a cohort or a self-paced course, join and leave waiting lists, withdraw."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.catalog.models import Course
from app.extensions import db
from app.seasons import enrollments, services
from app.seasons.models import WaitlistEntry
from app.seasons.queries import load_cohort_or_404, load_offering_or_404

bp = Blueprint("seasons", __name__, template_folder="templates")


def back_to_course(course: Course):
    return redirect(url_for("catalog.course", course_slug=course.slug))


def _enrolled(enrollment, course: Course):
    if enrollment.cohort is not None:
        flash(
            _("You have a place in cohort “%(cohort)s”. Welcome!", cohort=enrollment.cohort.name),
            "success",
        )
    else:
        flash(_("You are enrolled. Welcome to the course!"), "success")
    return redirect(url_for("learning.course_home", course_slug=course.slug))


@bp.post("/offerings/<int:offering_id>/enrol")
@login_required
def enroll(offering_id):
    offering = load_offering_or_404(offering_id)
    try:
        enrollment = services.enroll_self(current_user, offering)
    except services.SeasonError as error:
        flash(str(error), "error")
        return back_to_course(offering.course)
    return _enrolled(enrollment, offering.course)


@bp.post("/cohorts/<int:cohort_id>/enrol")
@login_required
def enroll_in_cohort(cohort_id):
    cohort = load_cohort_or_404(cohort_id)
    course = cohort.offering.course
    try:
        enrollment = services.enroll_self(current_user, cohort.offering, cohort)
    except services.CohortFull as error:
        # A page, not a redirect: a browser shows a 409's body and follows no redirect from it.
        page = render_template(
            "seasons/cohort_full.html",
            cohort=cohort,
            course=course,
            message=str(error),
            can_wait=services.enrollment_open(cohort.offering, cohort),
        )
        return page, 409
    except services.SeasonError as error:
        flash(str(error), "error")
        return back_to_course(course)
    return _enrolled(enrollment, course)


@bp.post("/cohorts/<int:cohort_id>/waitlist")
@login_required
def join_waitlist(cohort_id):
    cohort = load_cohort_or_404(cohort_id)
    course = cohort.offering.course
    try:
        result = services.join_waitlist(current_user, cohort)
    except services.SeasonError as error:
        flash(str(error), "error")
        return back_to_course(course)
    if not isinstance(result, WaitlistEntry):
        return _enrolled(result, course)
    flash(
        _(
            "You are number %(position)s on the waiting list. We will write to you when a "
            "seat is yours.",
            position=services.waitlist_position(result),
        ),
        "success",
    )
    return back_to_course(course)


@bp.post("/cohorts/<int:cohort_id>/waitlist/leave")
@login_required
def leave_waitlist(cohort_id):
    cohort = load_cohort_or_404(cohort_id)
    services.leave_waitlist(current_user, cohort)
    flash(_("You have left the waiting list."), "success")
    return back_to_course(cohort.offering.course)


@bp.route("/learn/<course_slug>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(course_slug):
    course = db.session.scalar(select(Course).where(Course.slug == course_slug)) or abort(404)
    enrollment = enrollments.find_enrollment(current_user, course)
    if enrollment is None:
        return back_to_course(course)
    if not services.can_withdraw(enrollment):
        flash(
            _("You can no longer withdraw: the cohort has started or the season is closed."),
            "error",
        )
        return redirect(url_for("learning.course_home", course_slug=course.slug))
    if request.method == "POST":
        services.withdraw(enrollment)
        flash(_("You have withdrawn from the course."), "success")
        return back_to_course(course)
    return render_template("seasons/withdraw.html", course=course, enrollment=enrollment)
