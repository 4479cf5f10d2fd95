"""Tutors' pages: their cohorts, each roster with progress, and mail to a cohort."""

import unicodedata

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.accounts.services import external_url
from app.core.auth import tutor_blueprint
from app.core.mail import send_template_mail
from app.extensions import db
from app.learning import services as learning
from app.learning.models import Enrollment
from app.seasons import services
from app.seasons.models import Cohort, Offering, WaitlistEntry
from app.seasons.tutor_forms import CohortMessageForm

bp = tutor_blueprint("seasons_tutor", __name__, template_folder="templates", url_prefix="/tutor")


def load_cohort(cohort_id: int) -> Cohort:
    """The cohort with its course and season, or 404; 403 unless the user may lead it."""
    cohort = db.session.scalar(
        select(Cohort)
        .where(Cohort.id == cohort_id)
        .options(
            joinedload(Cohort.offering).joinedload(Offering.season),
            joinedload(Cohort.offering).joinedload(Offering.course),
            selectinload(Cohort.tutors),
        )
    ) or abort(404)
    if not cohort.can_lead(current_user):
        abort(403)
    return cohort


def sort_key(name: str) -> str:
    """Names in the order a reader expects: accents and case do not move a name away."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def cohort_learners(cohort: Cohort) -> list[Enrollment]:
    """The cohort's enrolments with each learner (and institution), sorted by name."""
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.cohort_id == cohort.id)
        .options(joinedload(Enrollment.user).joinedload(User.institution))
    ).all()
    return sorted(enrollments, key=lambda e: (sort_key(e.user.full_name), e.user.id))


@bp.get("/cohorts")
def cohorts():
    led = services.cohorts_led_by(current_user)
    seasons_url = None
    if current_user.is_admin and "seasons_admin.seasons" in current_app.view_functions:
        seasons_url = url_for("seasons_admin.seasons")
    return render_template("seasons/tutor/cohorts.html", cohorts=led, seasons_url=seasons_url)


@bp.get("/cohorts/<int:cohort_id>")
def cohort(cohort_id):
    found = load_cohort(cohort_id)
    enrollments = cohort_learners(found)
    progress = learning.progress_of_enrollments(enrollments)
    rows = []
    for enrollment in enrollments:
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
    waiting = db.session.scalar(
        select(func.count()).select_from(WaitlistEntry).where(WaitlistEntry.cohort_id == found.id)
    )
    return render_template(
        "seasons/tutor/cohort.html",
        cohort=found,
        course=found.offering.course,
        rows=rows,
        waiting=waiting,
    )


@bp.route("/cohorts/<int:cohort_id>/message", methods=["GET", "POST"])
def message(cohort_id):
    found = load_cohort(cohort_id)
    form = CohortMessageForm()
    if form.validate_on_submit():
        sent = message_cohort(found, current_user, form.subject.data, form.message.data)
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


def message_cohort(cohort: Cohort, sender: User, subject: str, body: str) -> int:
    """Mail `body` to every learner of the cohort, each in their language; how many were sent.

    The text goes into a plain-text mail as written: nothing in it is markup or a formula.
    """
    course = cohort.offering.course
    course_url = external_url("learning.course_home", course_slug=course.slug)
    learners = [e.user for e in cohort_learners(cohort)]
    for learner in learners:
        send_template_mail(
            learner.email,
            learner.locale,
            "seasons/mail/cohort_message",
            subject,
            sender=sender,
            cohort=cohort,
            course=course,
            message=body,
            course_url=course_url,
        )
    return len(learners)
