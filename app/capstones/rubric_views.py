"""Administrators' pages for capstone rubrics: the list, a CSV download and a CSV upload.

The upload replaces the rubric the tutors score against. Reviews already made keep their own
copy of the criteria, levels and points they gave, so their history stays readable.
"""

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SubmitField

from app.capstones import rubric_csv, services
from app.capstones.item_kinds import CAPSTONE
from app.catalog.models import Course, Item
from app.core.auth import admin_blueprint
from app.core.views import content_disposition
from app.extensions import db

capstones_admin = admin_blueprint(
    "capstones_admin", __name__, template_folder="templates", url_prefix="/admin"
)
bp = capstones_admin


class RubricUploadForm(FlaskForm):
    """A rubric CSV; its size is bounded by the app's MAX_CONTENT_LENGTH and the module's."""

    file = FileField(
        _l("Rubric CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file."))],
        render_kw={"accept": ".csv,text/csv"},
        description=_l("UTF-8 text, columns separated by commas or semicolons."),
    )
    submit = SubmitField(_l("Replace the rubric"))


def _load_capstone(item_id: int) -> tuple[Item, Course]:
    """The capstone item and its course, or 404 (also for an item of another kind)."""
    found = db.session.execute(
        select(Item, Course)
        .join(Course, Course.id == Item.course_id)
        .where(Item.id == item_id, Item.kind == CAPSTONE)
    ).first()
    if found is None:
        abort(404)
    item, course = found
    return item, course


@bp.get("/capstones")
def rubrics():
    rows = db.session.execute(
        select(Item, Course)
        .join(Course, Course.id == Item.course_id)
        .where(Item.kind == CAPSTONE)
        .order_by(Course.position, Course.id)
    ).all()
    rubrics = services.rubrics_of([item.id for item, _course in rows])
    return render_template(
        "capstones/admin_rubrics.html",
        rows=[
            (item, course, rubrics[item.id], best_points(rubrics[item.id])) for item, course in rows
        ],
    )


def best_points(rubric: dict) -> int:
    """The points of the best level of every criterion, added up."""
    return sum(max(level["points"] for level in c["levels"]) for c in rubric["criteria"])


@bp.get("/capstones/<int:item_id>/rubric.csv")
def export_rubric(item_id):
    item, course = _load_capstone(item_id)
    rubric = services.rubric(item)
    text = rubric_csv.export_rubric(rubric, rubric_csv.languages_of(rubric, course.languages))
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = content_disposition(
        "attachment", f"{course.slug}-rubric.csv"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/capstones/<int:item_id>/rubric", methods=["GET", "POST"])
def import_rubric(item_id):
    item, course = _load_capstone(item_id)
    # The file carries the languages of the rubric it replaces (see rubric_csv.languages_of).
    languages = rubric_csv.languages_of(services.rubric(item), course.languages)
    form = RubricUploadForm()
    problems = []
    if form.validate_on_submit():
        try:
            rubric = rubric_csv.import_rubric(form.file.data.read(), languages)
        except rubric_csv.RubricCsvError as error:
            problems = error.problems
        else:
            # A new dict, so SQLAlchemy sees the JSON column change.
            services.save_rubric(item, rubric)
            flash(_("The rubric was replaced."), "success")
            return redirect(url_for("capstones_admin.rubrics"))
    status = 400 if form.is_submitted() else 200
    return (
        render_template(
            "capstones/admin_rubric_import.html",
            item=item,
            course=course,
            form=form,
            problems=problems,
            columns=rubric_csv.columns(languages),
        ),
        status,
    )
