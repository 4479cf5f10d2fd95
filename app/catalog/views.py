"""The catalog: every course with what it offers, and each course's page."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog import kinds
from app.catalog.item_kinds import GUIDE
from app.catalog.models import Course, CourseKind, Item, Module
from app.catalog.offers import course_panel, course_statuses, enrolled_courses
from app.core import page_cache
from app.extensions import db

bp = Blueprint("catalog", __name__, template_folder="templates")

# The catalog's pages, for visitors, come from the page cache until a course changes (or what
# the offers show: app/seasons/offers.py adds its rows to the same scope).
page_cache.depends("catalog", Course, Module, Item)


@bp.app_context_processor
def catalog_names():
    return {"item_kind_names": kinds.labels()}


_ALL_COURSES = select(Course).order_by(Course.position, Course.id)  # built once


@bp.get("/courses")
def catalog():
    kind = request.args.get("kind", "")
    language = request.args.get("language", "")
    kind = kind if kind in {k.value for k in CourseKind} else ""
    language = language if language in ("es", "pt", "en") else ""
    enrolled = enrolled_courses(_signed_in())  # a visitor's: none, and no query

    def listing():
        courses = db.session.scalars(_ALL_COURSES).all()
        shown = [
            c
            for c in courses
            if (not kind or c.kind == kind) and (not language or language in c.languages)
        ]
        return render_template(
            "catalog/_listing.html",
            courses=shown,
            total=len(courses),
            kind=kind,
            language=language,
            statuses=course_statuses(enrolled),
        )

    def render():
        kept = page_cache.fragment(("catalog",), listing, kind, language, enrolled)
        return render_template("catalog/catalog.html", listing=kept)

    return page_cache.page(("catalog",), render)


@bp.get("/courses/<course_slug>")
def course(course_slug):
    return page_cache.page(("catalog",), lambda: _course_page(course_slug))


def _course_page(course_slug):
    found = db.session.scalar(
        select(Course)
        .where(Course.slug == course_slug)
        .options(selectinload(Course.modules).selectinload(Module.items).defer(Item.content))
    ) or abort(404)
    guides = db.session.scalars(
        select(Item).where(Item.course_id == found.id, Item.kind == GUIDE).order_by(Item.position)
    ).all()
    panel, offer = course_panel(found, _signed_in())
    return render_template(
        "catalog/course.html", course=found, guides=guides, offer_panel=panel, **offer
    )


def _signed_in():
    return current_user if current_user.is_authenticated else None
