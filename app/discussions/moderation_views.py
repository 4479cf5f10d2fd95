"""Moderators' pages: a board's open reports and trail, acting on a post, locking a thread.

Tutors and administrators reach the blueprint; each route then checks the board: a tutor
moderates only the boards of the cohorts they lead."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.auth import admin_blueprint, tutor_blueprint
from app.discussions import moderation, services
from app.discussions.forms import LockForm, ModerationForm
from app.discussions.models import PostState
from app.discussions.services import DiscussionError, Place
from app.seasons.queries import (
    COHORT_CONTEXT,
    OFFERING_CONTEXT,
    load_cohort_or_404,
    load_offering_or_404,
)

bp = tutor_blueprint(
    "discussions_tutor", __name__, template_folder="templates", url_prefix="/tutor/discussions"
)

admin_bp = admin_blueprint("discussions_admin", __name__, url_prefix="/admin/discussions")


# How the moderation record names each act.
ACTION_NAMES = {
    "hide": _l("Hidden"),
    "show": _l("Shown again"),
    "remove": _l("Removed"),
    "lock": _l("Locked"),
    "unlock": _l("Unlocked"),
    "dismiss": _l("Left as it is"),
}


def _moderator_or_403(place: Place) -> None:
    if not services.can_moderate(current_user, place):
        abort(403)


@bp.get("/cohorts/<int:cohort_id>/reports")
def reports(cohort_id):
    place = Place(cohort=load_cohort_or_404(cohort_id, options=COHORT_CONTEXT))
    return _reports(place)


@admin_bp.get("/courses/<int:offering_id>/reports")
def course_reports(offering_id):
    """A self-paced course's board has no tutors: administrators moderate it."""
    place = Place(offering=load_offering_or_404(offering_id, options=OFFERING_CONTEXT))
    return _reports(place)


def _reports(place: Place):
    return reports_page(place, _moderator_or_403)


# The pages below are shared with the thematic networks' moderators (network_views.py),
# which pass their own check of who moderates the board.


def reports_page(place: Place, check):
    """A board's open reports and its moderation trail, for whom `check` lets through."""
    check(place)
    return render_template(
        "discussions/reports.html",
        place=place,
        reports=moderation.open_reports(place),
        trail=moderation.trail(place),
        action_names={key: str(value) for key, value in ACTION_NAMES.items()},
    )


def _load(post_id: int, check):
    post = services.load_post(post_id) or abort(404)
    thread = services.load_thread(post.thread_id)
    place = Place.of(thread.board)
    check(place)
    return post, thread, place


def moderate_page(post_id: int, check):
    """Hide, show again or remove a post, with the reason kept in the board's trail."""
    post, thread, place = _load(post_id, check)
    form = ModerationForm()
    if form.validate_on_submit():
        try:
            acted = moderation.moderate_post(
                post, place, current_user, form.action.data, form.reason.data
            )
        except DiscussionError as error:
            form.reason.errors = [*form.reason.errors, str(error)]
            post, thread, place = _load(post_id, check)
        else:
            if acted:
                flash(_("Done: it is in the moderation record."), "success")
            else:
                flash(_("Nothing changed: someone had already done it."), "info")
            return redirect(url_for("discussions.thread", thread_id=thread.id))
    return render_template(
        "discussions/moderate.html",
        post=post,
        thread=thread,
        place=place,
        form=form,
        removed=post.state == PostState.REMOVED,
    )


def lock_page(thread_id: int, check):
    """Lock or unlock a thread, with the reason kept in the board's trail."""
    thread = services.load_thread(thread_id) or abort(404)
    place = Place.of(thread.board)
    check(place)
    form = LockForm()
    if form.validate_on_submit():
        try:
            moderation.lock_thread(thread, place, current_user, form.reason.data)
        except DiscussionError as error:
            form.reason.errors = [*form.reason.errors, str(error)]
        else:
            flash(_("Done: it is in the moderation record."), "success")
            return redirect(url_for("discussions.thread", thread_id=thread_id))
    return render_template("discussions/lock.html", thread=thread, place=place, form=form)


@bp.route("/posts/<int:post_id>", methods=["GET", "POST"])
def moderate(post_id):
    return moderate_page(post_id, _moderator_or_403)


@bp.post("/threads/<int:thread_id>/lock")
def lock(thread_id):
    return lock_page(thread_id, _moderator_or_403)
