"""Tutors (of the learner's cohort) and administrators give a learner more quiz attempts."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core.auth import tutor_blueprint
from app.core.i18n import localise
from app.extensions import db
from app.learning import services
from app.learning.forms import GrantAttemptsForm
from app.seasons.models import Cohort, Enrollment

bp = tutor_blueprint("learning_tutor", __name__, template_folder="templates", url_prefix="/tutor")


def load_enrollment_or_404(enrollment_id: int) -> Enrollment:
    return db.session.scalar(
        select(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .options(
            joinedload(Enrollment.user),
            joinedload(Enrollment.course),
            joinedload(Enrollment.season),
            joinedload(Enrollment.cohort).selectinload(Cohort.tutors),
        )
    ) or abort(404)


@bp.route("/enrollments/<int:enrollment_id>/attempts", methods=["GET", "POST"])
def attempts(enrollment_id):
    enrollment = load_enrollment_or_404(enrollment_id)
    if not services.may_grant_attempts(current_user, enrollment):
        abort(403)
    standing = services.quiz_standing(enrollment)
    course = enrollment.course
    form = GrantAttemptsForm()
    form.quiz.choices = [
        (row["item"].id, localise(row["item"].title, course.language))
        for row in standing
        if row["limit"] is not None
    ]
    status = 200
    if form.is_submitted():
        status = 422
    else:
        form.number.data = services.grants_made(enrollment) + 1
        # The quiz the learner is stuck on comes first.
        form.quiz.data = next(
            (row["item"].id for row in standing if row["left"] == 0 and not row["passed"]), None
        )
    if form.validate_on_submit():
        item = next(row["item"] for row in standing if row["item"].id == form.quiz.data)
        try:
            services.grant_attempts(
                enrollment,
                item,
                form.attempts.data,
                form.reason.data,
                current_user,
                form.expected_number,
            )
        except services.LearningError as error:
            form.form_errors.append(str(error))
            form.number.data = services.grants_made(enrollment) + 1
        else:
            flash(
                ngettext(
                    "%(learner)s has %(num)s more attempt.",
                    "%(learner)s has %(num)s more attempts.",
                    form.attempts.data,
                    learner=enrollment.user.full_name,
                ),
                "success",
            )
            return redirect(url_for("learning_tutor.attempts", enrollment_id=enrollment.id))
    return (
        render_template(
            "learning/tutor/attempts.html",
            enrollment=enrollment,
            learner=enrollment.user,
            course=course,
            standing=standing,
            form=form,
            title=_("Quiz attempts of %(name)s", name=enrollment.user.full_name),
        ),
        status,
    )
