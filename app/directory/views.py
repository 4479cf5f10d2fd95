"""The public directory of members' distance courses, and coordinators' listing pages."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.coordinators.auth import coordinator_blueprint, load_own_institution_or_404
from app.directory import services
from app.directory.forms import MODALITIES, CourseForm
from app.directory.models import MemberCourse
from app.extensions import db
from app.observatory.vocabulary import THEMES

bp = Blueprint("directory", __name__, url_prefix="/distance-courses", template_folder="templates")
coordinator_bp = coordinator_blueprint(
    "directory_coordinator", __name__, url_prefix="/institution", template_folder="templates"
)

PER_PAGE = 30


@bp.app_context_processor
def modalities():
    return {"directory_modalities": MODALITIES, "observatory_themes": THEMES}


@bp.get("/")
def index():
    filters = services.Filters.from_args(request.args)
    page = db.paginate(
        services.directory_query(filters), per_page=PER_PAGE, max_per_page=PER_PAGE,
        error_out=False,
    )  # fmt: skip
    return render_template(
        "directory/index.html",
        page=page,
        filters=filters,
        countries=services.directory_countries(),
        languages=services.LANGUAGES,
    )


@coordinator_bp.get("/<int:institution_id>/courses")
def courses(institution_id):
    institution = load_own_institution_or_404(institution_id)
    return render_template(
        "directory/courses.html", institution=institution, courses=services.courses_of(institution)
    )


def _own_course(institution, course_id) -> MemberCourse:
    course = db.session.get(MemberCourse, course_id)
    if course is None or course.institution_id != institution.id:
        abort(404)
    return course


@coordinator_bp.route("/<int:institution_id>/courses/new", methods=["GET", "POST"])
def new_course(institution_id):
    return _edit(load_own_institution_or_404(institution_id), None)


@coordinator_bp.route("/<int:institution_id>/courses/<int:course_id>", methods=["GET", "POST"])
def edit_course(institution_id, course_id):
    institution = load_own_institution_or_404(institution_id)
    return _edit(institution, _own_course(institution, course_id))


def _edit(institution, course):
    initial = None
    if request.method == "GET" and course is not None:
        initial = {
            "title": course.title, "description": course.description,
            "modality": course.modality.value, "language": course.language,
            "theme": course.theme, "hours": course.hours, "free": course.free, "url": course.url,
        }  # fmt: skip
    form = CourseForm(data=initial)
    problem = None
    if form.validate_on_submit():
        listing = services.CourseListing(
            form.title.data or "", form.description.data or "", form.modality.data or "",
            form.language.data or "", form.theme.data or "", form.hours.data,
            form.free.data, form.url.data or "",
        )  # fmt: skip
        try:
            services.save_course(course, institution, listing)
        except services.DirectoryError as error:
            problem = str(error)
        else:
            flash(_("The course is saved."), "success")
            return redirect(url_for("directory_coordinator.courses", institution_id=institution.id))
    return render_template(
        "directory/edit.html", institution=institution, course=course, form=form, problem=problem
    )


@coordinator_bp.post("/<int:institution_id>/courses/<int:course_id>/remove")
def remove_course(institution_id, course_id):
    institution = load_own_institution_or_404(institution_id)
    services.remove_course(_own_course(institution, course_id))
    flash(_("The course is removed from the directory."), "success")
    return redirect(url_for("directory_coordinator.courses", institution_id=institution.id))
