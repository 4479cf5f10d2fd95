"""The course player, quizzes and the learner's dashboard."""

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer

from app.catalog import kinds
from app.catalog.models import Course, Item
from app.core.i18n import localise, text_html
from app.extensions import db
from app.learning import services
from app.learning.dashboard import sections_for
from app.learning.item_kinds import QUIZ
from app.learning.item_kinds import page as quiz_page
from app.learning.outline import OutlineItem, course_outline, init_outlines, outline_of
from app.seasons import enrollments
from app.seasons.models import Enrollment
from app.seasons.services import can_withdraw

bp = Blueprint("learning", __name__, template_folder="templates")
bp.record_once(init_outlines)
bp.add_app_template_global(course_outline)


# The course alone, in a statement built once: its outline comes from learning/outline.py
# (plain values kept per course version), the item a page shows is loaded whole. The summary
# and outcomes, which the player does not show, stay out.
_COURSE = (
    select(Course)
    .where(Course.slug == bindparam("slug"))
    .options(defer(Course.summary), defer(Course.outcomes))
)
# A player's page: the course and the item it shows, in one statement (the item None when the
# course has none of that slug).
_COURSE_ITEM = (
    select(Course, Item)
    .outerjoin(Item, (Item.course_id == Course.id) & (Item.slug == bindparam("item_slug")))
    .where(Course.slug == bindparam("slug"))
    .options(defer(Course.summary), defer(Course.outcomes))
)


def load_course(course_slug) -> Course:
    return db.session.execute(_COURSE, {"slug": course_slug}).scalar_one_or_none() or abort(404)


def load_course_item(course_slug, item_slug) -> tuple[Course, Item | None]:
    """The course (404 without one) and its item of that slug, or None."""
    found = db.session.execute(_COURSE_ITEM, {"slug": course_slug, "item_slug": item_slug})
    return tuple(found.one_or_none() or abort(404))


def ordered_items(course: Course) -> tuple[OutlineItem, ...]:
    """The course's items in study order, as the outline knows them (id, slug, title)."""
    return outline_of(course).items


def neighbours(items, current) -> tuple[OutlineItem | None, OutlineItem | None]:
    """The items before and after `current` (an item of the course, loaded or outlined)."""
    index = next(i for i, item in enumerate(items) if item.id == current.id)
    return (items[index - 1] if index else None), (
        items[index + 1] if index + 1 < len(items) else None
    )


def own_enrollment(course: Course) -> Enrollment | None:
    """The signed-in learner's enrolment in the course (never anyone else's)."""
    return enrollments.find_enrollment(current_user, course)


@bp.get("/learn/<course_slug>")
@login_required
def course_home(course_slug):
    course = load_course(course_slug)
    enrollment = own_enrollment(course)
    if enrollment is None:
        flash(_("Enrol in the course to start it."), "info")
        return redirect(url_for("catalog.course", course_slug=course.slug))
    done = services.done_item_ids(enrollment)
    items = ordered_items(course)
    status = kept_parts(services.course_statuses([enrollment])[0], card=False)
    if enrollment.completed_at is not None:
        upcoming = None  # a completed course leads to its certificate, not back to lesson 1
    else:
        upcoming = next((i for i in items if i.id not in done), items[0] if items else None)
    return render_template(
        "learning/course_home.html",
        course=course,
        enrollment=enrollment,
        done=done,
        status=status,
        upcoming=upcoming,
        opens_on=status["opens_on"],
        read_only=enrollments.is_read_only(enrollment),
        can_withdraw=can_withdraw(enrollment),
    )


@bp.get("/learn/<course_slug>/<item_slug>")
@login_required
def item(course_slug, item_slug):
    course, current = load_course_item(course_slug, item_slug)
    enrollment = own_enrollment(course)
    if enrollment is None:
        flash(_("Enrol in the course to start it."), "info")
        return redirect(url_for("catalog.course", course_slug=course.slug))
    return render_item(course, enrollment, ordered_items(course), current or abort(404))


def render_item(course, enrollment, items, current, part=None):
    """The player's page for one item: the frame (outline, previous and next, done) around the
    item kind's own partial. `part` is what the partial shows (the kind's `page()` unless a
    view has it already, say a form sent back with its errors)."""
    kind = kinds.get(current.kind)
    previous, following = neighbours(items, current)
    done = services.done_item_ids(enrollment)
    opens = enrollments.opens_on(enrollment)
    if opens is not None:
        # Before the cohort's first day: the item's title and the outline, not its content.
        return render_template(
            "learning/not_open.html",
            course=course,
            enrollment=enrollment,
            item=current,
            kind=kind,
            done=done,
            opens_on=opens,
            previous=previous,
            following=following,
        )
    if part is None:
        part = kind.page(enrollment, current)
    read_only = enrollments.is_read_only(enrollment)
    page = render_template(
        "learning/item.html",
        course=course,
        enrollment=enrollment,
        item=current,
        kind=kind,
        part=part,
        done=done,
        previous=previous,
        following=following,
        read_only=read_only,
        may_mark_done=(
            kind.learner_marks_done(current, part) and current.id not in done and not read_only
        ),
    )
    response = make_response(page)
    response.headers.update(kind.headers(part))
    return response


@bp.post("/learn/<course_slug>/<item_slug>/done")
@login_required
def mark_done(course_slug, item_slug):
    course, enrollment, items, current = enrolled_item(course_slug, item_slug)
    kind = kinds.get(current.kind)
    if not kind.learner_marks_done(current, kind.page(enrollment, current)):
        abort(400)  # it counts some other way: a quiz when passed, a capstone when reviewed...
    try:
        services.mark_done(enrollment, current)
    except services.LearningError as error:
        flash(str(error), "error")
        return redirect(url_for("learning.item", course_slug=course.slug, item_slug=current.slug))
    if enrollment.completed_at is not None:
        flash(_("You have completed the course. Congratulations!"), "success")
    _previous, following = neighbours(items, current)
    if following:
        return redirect(url_for("learning.item", course_slug=course.slug, item_slug=following.slug))
    return redirect(url_for("learning.course_home", course_slug=course.slug))


@bp.post("/learn/<course_slug>/<item_slug>/quiz")
@login_required
def submit_quiz(course_slug, item_slug):
    course, enrollment, items, current = enrolled_item(course_slug, item_slug)
    if current.kind != QUIZ:
        abort(404)
    # CSRF was checked app-wide (CSRFProtect) before this view ran.
    try:
        number = int(request.form.get("attempt", ""))
    except ValueError:
        number = 0  # not from our form: answered as an out-of-date page
    questions = current.content["questions"]
    answers = {
        str(i): [value[:50] for value in request.form.getlist(f"q{i}")[:20]]
        for i in range(len(questions))
    }
    try:
        attempt = services.submit_quiz(enrollment, current, number, answers)
    except services.UnansweredQuestions as error:
        # Nothing spent: the same page again, the learner's answers kept, the blanks marked.
        flash(str(error), "error")
        part = quiz_page(enrollment, current, given=answers, missing=error.missing)
        response = render_item(course, enrollment, items, current, part=part)
        response.status_code = 422
        return response
    except services.LearningError as error:
        flash(str(error), "error")
    else:
        if attempt.passed:
            flash(_("Passed with %(score)s%%.", score=attempt.score), "success")
        else:
            flash(_("Not passed: %(score)s%%.", score=attempt.score), "error")
        if enrollment.completed_at is not None:
            flash(_("You have completed the course. Congratulations!"), "success")
    return redirect(
        url_for("learning.item", course_slug=course.slug, item_slug=current.slug) + "#result"
    )


def enrolled_item(course_slug, item_slug):
    """The course, the learner's own enrolment (403 without one), its items and the item (404
    without one): what a form posted from a player's page works on."""
    course, current = load_course_item(course_slug, item_slug)
    enrollment = own_enrollment(course) or abort(403)
    return course, enrollment, ordered_items(course), current or abort(404)


def kept_parts(row: dict, card: bool = True) -> dict:
    """`row` (services.course_statuses) with the plain values its kept parts show
    (learning/_course_parts.html): the card's heading and what comes next (`card`: the
    dashboard's; the course's home page shows neither), progress, the tutors' message. Each
    part is kept under these values (app/core/kept_html.py), written again when one changes."""
    course, enrollment = row["course"], row["enrollment"]
    if card:
        cohort = enrollment.cohort
        row["heading"] = (
            course.slug,
            text_html(localise(course.title, course.language)),
            enrollment.season.display_name,
            (cohort.name, cohort.starts_on, cohort.ends_on) if cohort else None,
        )
    upcoming = row["next"] if card else None
    row["progress"] = (
        row["percent"],
        row["done"],
        row["required"],
        enrollment.completed_at,
        row["opens_on"] if card else None,
        (course.slug, upcoming.slug, text_html(localise(upcoming.title, course.language)))
        if upcoming
        else None,
    )
    message = row["message"]
    row["message_values"] = message and (
        message.sent_at,
        message.subject,
        message.sender_name,
        message.body,
    )
    return row


@bp.get("/dashboard")
@login_required
def dashboard():
    return render_template(
        "learning/dashboard.html",
        rows=[kept_parts(row) for row in services.dashboard_rows(current_user)],
        sections=sections_for(current_user),
    )
