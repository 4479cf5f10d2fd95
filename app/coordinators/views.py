"""Coordinators' pages (their institution's people, enrolments and participation) and the
administrators' page that grants the role."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.accounts.models import Institution
from app.accounts.services import find_user_by_email
from app.coordinators import services
from app.coordinators.auth import coordinator_blueprint, load_own_institution_or_404
from app.coordinators.forms import EnrolPeopleForm, EnrolPersonForm, GrantCoordinatorForm
from app.core.auth import admin_blueprint
from app.core.i18n import localise
from app.core.refusals import Refusal
from app.extensions import db

bp = coordinator_blueprint(
    "coordinators_coordinator", __name__, url_prefix="/institution", template_folder="templates"
)
admin_bp = admin_blueprint(
    "coordinators_admin", __name__, url_prefix="/admin", template_folder="templates"
)

PER_PAGE = 25


@bp.get("/")
def mine():
    """The visitor's own institution (administrators choose one from the list)."""
    institution_id = services.coordinated_institution_id(current_user)
    if institution_id is None:
        return redirect(url_for("accounts_admin.institutions"))
    return redirect(url_for("coordinators_coordinator.home", institution_id=institution_id))


def _place_choices(places) -> list[tuple[str, str]]:
    return [("", _("Choose a course"))] + [(p.key, _place_label(p)) for p in places]


@bp.route("/<int:institution_id>", methods=["GET", "POST"])
def home(institution_id):
    institution = load_own_institution_or_404(institution_id)
    query = request.args.get("q", "")[:100]
    places = services.open_places()
    form = EnrolPeopleForm()
    form.place.choices = _place_choices(places)
    problem = None
    if form.validate_on_submit():
        place = next((p for p in places if p.key == form.place.data), None)
        try:
            if place is None:
                raise services.CoordinatorError(_("Choose a course open for enrolment now."))
            placed = services.enroll_people(institution, form.people.data, place, current_user)
        except services.CoordinatorError as error:
            problem = str(error)
        else:
            flash(
                ngettext("%(num)s person is enrolled.", "%(num)s people are enrolled.",
                         len(placed)),
                "success",
            )  # fmt: skip
            return redirect(url_for("coordinators_coordinator.home", institution_id=institution.id))
    page = db.paginate(
        services.people_query(institution, query), per_page=PER_PAGE, max_per_page=PER_PAGE,
        error_out=False,
    )  # fmt: skip
    return render_template(
        "coordinators/home.html",
        institution=institution,
        page=page,
        query=query,
        form=form,
        problem=problem,
    )


def _place_label(place: services.Place) -> str:
    course = place.offering.course
    label = f"{localise(course.title, course.language)} · {place.offering.season.name}"
    if place.cohort is not None:
        label += " · " + _(
            "%(cohort)s (%(seats)s seats left)",
            cohort=place.cohort.name,
            seats=place.cohort.seats_left,
        )
    return label


@bp.route("/<int:institution_id>/people/<int:user_id>", methods=["GET", "POST"])
def person(institution_id, user_id):
    institution = load_own_institution_or_404(institution_id)
    person = services.person_of(institution, user_id) or abort(404)
    places = services.open_places()
    form = EnrolPersonForm()
    form.place.choices = _place_choices(places)
    if form.validate_on_submit():
        place = next((p for p in places if p.key == form.place.data), None)
        if place is None:
            form.place.errors.append(_("This course is not open for enrolment now."))
        else:
            try:
                services.enroll_person(institution, person, place, current_user)
            except Refusal as error:
                form.place.errors.append(str(error))
            else:
                flash(_("%(name)s is enrolled.", name=person.full_name), "success")
                return redirect(
                    url_for(
                        "coordinators_coordinator.person",
                        institution_id=institution.id,
                        user_id=person.id,
                    )
                )
    return render_template(
        "coordinators/person.html",
        institution=institution,
        person=person,
        enrollments=services.places_of(person),
        form=form,
    )


@bp.get("/<int:institution_id>/participation")
def participation(institution_id):
    institution = load_own_institution_or_404(institution_id)
    return render_template(
        "coordinators/participation.html",
        institution=institution,
        rows=services.participation(institution),
    )


# Administrators ------------------------------------------------------------------------


@admin_bp.route("/institutions/<int:institution_id>/coordinators", methods=["GET", "POST"])
def coordinators(institution_id):
    institution = db.session.get(Institution, institution_id) or abort(404)
    form = GrantCoordinatorForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is None:
            form.email.errors.append(_("Nobody has an account with this email."))
        else:
            try:
                services.grant_coordinator(current_user, institution, user)
            except services.CoordinatorError as error:
                form.email.errors.append(str(error))
            else:
                flash(
                    _("%(name)s now coordinates this institution.", name=user.full_name), "success"
                )
                return redirect(
                    url_for("coordinators_admin.coordinators", institution_id=institution.id)
                )
    return render_template(
        "coordinators/admin/coordinators.html",
        institution=institution,
        coordinators=services.coordinators_of(institution),
        form=form,
    )


@admin_bp.post("/institutions/<int:institution_id>/coordinators/<int:user_id>/remove")
def remove_coordinator(institution_id, user_id):
    institution = db.session.get(Institution, institution_id) or abort(404)
    person = db.session.get(services.User, user_id) or abort(404)
    services.revoke_coordinator(institution, person)
    flash(_("%(name)s no longer coordinates this institution.", name=person.full_name), "success")
    return redirect(url_for("coordinators_admin.coordinators", institution_id=institution.id))
