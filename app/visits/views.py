"""The tour's progress, posted by the study-visit page's script (or its confirm form)."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.catalog.models import Course, Item
from app.extensions import db
from app.learning import services as learning
from app.seasons import enrollments
from app.visits import services
from app.visits.item_kinds import STUDY_VISIT

bp = Blueprint("visits", __name__, template_folder="templates")


def _visit_of(course_slug, item_slug):
    """The course, the learner's own enrolment (403 without one) and the study visit (404)."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug)) or abort(404)
    enrollment = enrollments.find_enrollment(current_user, course) or abort(403)
    item = db.session.scalar(
        select(Item).where(
            Item.course_id == course.id,
            Item.slug == item_slug,
            Item.kind == STUDY_VISIT,
        )
    ) or abort(404)
    return course, enrollment, item


@bp.post("/learn/<course_slug>/<item_slug>/read")
@login_required
def read_visit(course_slug, item_slug):
    """ "I have read this visit": the text version's own completion, a plain form."""
    course, enrollment, item = _visit_of(course_slug, item_slug)
    already_complete = enrollment.completed_at is not None
    try:
        services.confirm_read(enrollment, item)
    except learning.LearningError as error:
        flash(str(error), "error")
        return redirect(
            url_for("learning.item", course_slug=course.slug, item_slug=item.slug), code=303
        )
    flash(_("Study visit done."), "success")
    if not already_complete and enrollment.completed_at is not None:
        flash(_("You have completed the course. Congratulations!"), "success")
        return redirect(url_for("learning.course_home", course_slug=course.slug), code=303)
    following = db.session.scalar(
        select(Item.slug)
        .where(Item.course_id == course.id, Item.position > item.position)
        .order_by(Item.position)
        .limit(1)
    )
    if following is None:
        return redirect(url_for("learning.course_home", course_slug=course.slug), code=303)
    return redirect(
        url_for("learning.item", course_slug=course.slug, item_slug=following), code=303
    )


@bp.post("/learn/<course_slug>/<item_slug>/tour")
@login_required
def tour_progress(course_slug, item_slug):
    """A scene seen (`scene`), or, for an embedded tour, the learner's confirmation."""
    course, enrollment, item = _visit_of(course_slug, item_slug)
    wants_json = request.accept_mimetypes.best == "application/json"
    scene = request.form.get("scene", "")[:80]
    seen, done = set(), False
    already_complete = enrollment.completed_at is not None
    try:
        if scene:
            seen, done = services.record_scene_seen(enrollment, item, scene)
        else:
            services.confirm_embedded_tour(enrollment, item)
            done = True
    except learning.LearningError as error:
        if wants_json:
            return {"error": str(error)}, 400
        flash(str(error), "error")
    else:
        if wants_json:
            return {
                "seen": sorted(seen),
                "done": done,
                # Whether this step completed the course (to congratulate once).
                "completed": not already_complete and enrollment.completed_at is not None,
            }
        flash(_("Study visit done."), "success")
        if not already_complete and enrollment.completed_at is not None:
            flash(_("You have completed the course. Congratulations!"), "success")
    return redirect(
        url_for("learning.item", course_slug=course.slug, item_slug=item.slug), code=303
    )
