"""The catalog: every course with what it offers, and each course's page."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog import kinds
from app.catalog.item_kinds import GUIDE
from app.catalog.models import Course, CourseKind, Item, Module
from app.extensions import db
from app.seasons import services as seasons

bp = Blueprint("catalog", __name__, template_folder="templates")


@bp.app_context_processor
def catalog_names():
    return {"item_kind_names": kinds.labels()}


@bp.get("/courses")
def catalog():
    kind = request.args.get("kind", "")
    language = request.args.get("language", "")
    kind = kind if kind in {k.value for k in CourseKind} else ""
    language = language if language in ("es", "pt", "en") else ""
    courses = db.session.scalars(select(Course).order_by(Course.position, Course.id)).all()
    shown = [
        c
        for c in courses
        if (not kind or c.kind == kind) and (not language or language in c.languages)
    ]
    return render_template(
        "catalog/catalog.html",
        courses=shown,
        total=len(courses),
        kind=kind,
        language=language,
        open_for=seasons.enrollable_course_ids(),
        enrolled=_enrolled_course_ids(),
    )


@bp.get("/courses/<course_slug>")
def course(course_slug):
    found = db.session.scalar(
        select(Course)
        .where(Course.slug == course_slug)
        .options(selectinload(Course.modules).selectinload(Module.items).defer(Item.content))
    ) or abort(404)
    guides = db.session.scalars(
        select(Item).where(Item.course_id == found.id, Item.kind == GUIDE).order_by(Item.position)
    ).all()
    offerings = seasons.current_offerings(found)
    enrollment = waiting = None
    if current_user.is_authenticated:
        from app.learning.services import find_enrollment

        enrollment = find_enrollment(current_user, found)
        waiting = seasons.waiting_positions(current_user, offerings)
    return render_template(
        "catalog/course.html",
        course=found,
        guides=guides,
        offerings=offerings,
        enrollment=enrollment,
        waiting=waiting or {},
        enrolment_open=seasons.enrolment_open,
    )


def _enrolled_course_ids() -> set[int]:
    if not current_user.is_authenticated:
        return set()
    from app.learning.services import enrolled_course_ids

    return enrolled_course_ids(current_user)
