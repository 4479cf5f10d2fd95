"""Tutors' pages: their cohorts, each roster with progress, the gradebook, and mail to a
cohort or to one learner."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.core.auth import tutor_blueprint
from app.core.exports import csv_bytes, download, file_name
from app.extensions import db
from app.seasons import enrollments, gradebook, queries, services, tutor_panels
from app.seasons.models import Cohort, Enrollment
from app.seasons.queries import COHORT_CONTEXT, load_cohort_or_404
from app.seasons.tutor_forms import CohortMessageForm

bp = tutor_blueprint("seasons_tutor", __name__, template_folder="templates", url_prefix="/tutor")


def load_led_cohort(cohort_id: int) -> Cohort:
    """The cohort with its course and season, or 404; 403 unless the user may lead it."""
    cohort = load_cohort_or_404(cohort_id, options=COHORT_CONTEXT)
    if not cohort.can_lead(current_user):
        abort(403)
    return cohort


@bp.get("/cohorts")
def cohorts():
    led = services.cohorts_led_by(current_user)
    seasons_url = None
    if current_user.is_admin and "seasons_admin.seasons" in current_app.view_functions:
        seasons_url = url_for("seasons_admin.seasons")
    return render_template(
        "seasons/tutor/cohorts.html",
        cohorts=led,
        seasons_url=seasons_url,
        panels=tutor_panels.panels_for(current_user, led),
    )


@bp.get("/cohorts/<int:cohort_id>")
def cohort(cohort_id):
    found = load_led_cohort(cohort_id)
    places = services.cohort_learners(found)
    progress = enrollments.progress_of(places)
    rows = []
    for enrollment in places:
        done, required = progress[enrollment.id]
        rows.append(
            {
                "enrollment": enrollment,
                "learner": enrollment.user,
                "done": done,
                "required": required,
                "percent": round(100 * done / required) if required else 0,
            }
        )
    waiting = queries.count_waiting(found)
    return render_template(
        "seasons/tutor/cohort.html",
        cohort=found,
        course=found.offering.course,
        rows=rows,
        waiting=waiting,
    )


@bp.route("/cohorts/<int:cohort_id>/message", methods=["GET", "POST"])
def message(cohort_id):
    found = load_led_cohort(cohort_id)
    form = CohortMessageForm()
    if form.validate_on_submit():
        sent = services.message_cohort(found, current_user, form.subject.data, form.message.data)
        flash(
            ngettext(
                "Your message was sent to %(num)s learner.",
                "Your message was sent to %(num)s learners.",
                sent,
            ),
            "success",
        )
        return redirect(url_for("seasons_tutor.cohort", cohort_id=found.id))
    # Re-rendered with the errors next to the fields; 200 so the page reads as a form to fix.
    return render_template(
        "seasons/tutor/message.html", cohort=found, course=found.offering.course, form=form
    )


def _sorted_book(cohort: Cohort) -> gradebook.Gradebook:
    order = request.args.get("order", "")
    return gradebook.gradebook(cohort, request.args.get("sort", "")[:80], order == "desc")


@bp.get("/cohorts/<int:cohort_id>/gradebook")
def cohort_gradebook(cohort_id):
    found = load_led_cohort(cohort_id)
    return render_template(
        "seasons/tutor/gradebook.html",
        cohort=found,
        course=found.offering.course,
        book=_sorted_book(found),
    )


@bp.get("/cohorts/<int:cohort_id>/gradebook.csv")
def cohort_gradebook_csv(cohort_id):
    found = load_led_cohort(cohort_id)
    header, rows = gradebook.as_table(_sorted_book(found))
    name = file_name(_("gradebook"), found.offering.course.slug, found.name)
    return download(csv_bytes(header, rows), f"{name}.csv", "text/csv")


def load_learner_place(cohort: Cohort, enrollment_id: int) -> Enrollment:
    """A learner's place in this cohort, or 404 (another cohort's learner is not found here)."""
    place = db.session.get(Enrollment, enrollment_id)
    if place is None or place.cohort_id != cohort.id:
        abort(404)
    return place


@bp.route("/cohorts/<int:cohort_id>/learners/<int:enrollment_id>/message", methods=["GET", "POST"])
def message_learner(cohort_id, enrollment_id):
    found = load_led_cohort(cohort_id)
    place = load_learner_place(found, enrollment_id)
    form = CohortMessageForm()
    if form.validate_on_submit():
        services.message_learner(place, current_user, form.subject.data, form.message.data)
        flash(_("Your message was sent to %(name)s.", name=place.user.full_name), "success")
        return redirect(url_for("seasons_tutor.cohort_gradebook", cohort_id=found.id))
    return render_template(
        "seasons/tutor/message.html",
        cohort=found,
        course=found.offering.course,
        form=form,
        learner=place.user,
    )
