"""Administrators' pages: people and their roles, the institutions list."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.accounts import factors, person_page, security_log, services
from app.accounts.forms import InstitutionForm, PersonActionForm, RolesForm
from app.accounts.models import Institution, Role, User
from app.accounts.sessions import approximate_network, device_label
from app.core.auth import admin_blueprint
from app.core.forms import ActionForm
from app.extensions import db

bp = admin_blueprint("accounts_admin", __name__, url_prefix="/admin", template_folder="templates")

PER_PAGE = 25
LOG_PER_PAGE = 50
RECENT_EVENTS = 20


@bp.get("/people")
def people():
    query = request.args.get("q", "")[:100]
    role = request.args.get("role", "")
    if role not in {"", Role.TUTOR, Role.ADMIN}:
        role = ""
    page = db.paginate(
        services.search_people(query, role), per_page=PER_PAGE, max_per_page=PER_PAGE
    )
    return render_template("accounts/admin/people.html", page=page, query=query, role=role)


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
def person(user_id):
    user = db.session.get(User, user_id) or abort(404)
    form = RolesForm(
        data=None if request.method == "POST" else {"tutor": user.is_tutor, "admin": user.is_admin}
    )
    if form.validate_on_submit():
        try:
            services.set_roles(current_user, user, tutor=form.tutor.data, admin=form.admin.data)
        except services.LastAdministrator as error:
            form.admin.errors.append(str(error))
        else:
            flash(_("Roles of %(name)s saved.", name=user.full_name), "success")
            return redirect(url_for("accounts_admin.person", user_id=user.id))
    return _person_page(user, form=form)


def _person_page(user: User, **forms):
    """The person page, with any form that came back refused in place of a blank one."""
    blank = {
        "form": RolesForm(formdata=None, data={"tutor": user.is_tutor, "admin": user.is_admin}),
        "sessions_form": PersonActionForm(formdata=None, prefix="sessions"),
        "confirm_form": PersonActionForm(formdata=None, prefix="confirm"),
    }
    return render_template(
        "accounts/admin/person.html",
        person=user,
        **{**blank, **forms},
        sessions=services.sessions_of(user),
        events=db.session.scalars(security_log.events_of(user).limit(RECENT_EVENTS)).all(),
        labels=security_log.KIND_LABELS,
        device_label=device_label,
        approximate_network=approximate_network,
        person_sections=person_page.sections_for(user),
        history=services.history_of(user),
        action_labels=person_page.ACTION_LABELS,
    )


@bp.post("/people/<int:user_id>/end-sessions")
def end_sessions(user_id):
    """Sign a person out everywhere (a lost phone, a shared computer, a suspected intrusion),
    with the reason kept in their history."""
    user = db.session.get(User, user_id) or abort(404)
    form = PersonActionForm(prefix="sessions")
    if not form.validate_on_submit():
        return _person_page(user, sessions_form=form)
    keep = current_user.current_session_key if user.id == current_user.id else None
    ended = services.end_other_sessions(user, keep_key=keep, actor=current_user)
    services.record_action(
        user, current_user, "sessions_ended", str(ended), services.check_reason(form.reason.data)
    )
    flash(
        ngettext(
            "%(num)s session of %(name)s signed out.",
            "%(num)s sessions of %(name)s signed out.",
            ended,
            name=user.full_name,
        ),
        "success",
    )
    return redirect(url_for("accounts_admin.person", user_id=user.id))


@bp.post("/people/<int:user_id>/resend-confirmation")
def resend_confirmation(user_id):
    """Send the confirmation link again to a person who lost it or never got it."""
    user = db.session.get(User, user_id) or abort(404)
    form = PersonActionForm(prefix="confirm")
    if not form.validate_on_submit():
        return _person_page(user, confirm_form=form)
    try:
        services.resend_confirmation(user, current_user, form.reason.data)
    except services.AccountError as refused:
        form.reason.errors.append(str(refused))
        return _person_page(user, confirm_form=form)
    flash(_("The confirmation mail was sent again to %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts_admin.person", user_id=user.id))


@bp.post("/people/<int:user_id>/reset-factors")
def reset_factors(user_id):
    """Remove a person's second factors when they lost them (the README says how to check who
    is asking first); they are signed out everywhere and set a factor up again."""
    user = db.session.get(User, user_id) or abort(404)
    ActionForm().validate_on_submit() or abort(400)
    factors.reset_factors(current_user, user)
    flash(_("The second factors of %(name)s are removed.", name=user.full_name), "success")
    return redirect(url_for("accounts_admin.person", user_id=user.id))


@bp.get("/security-log")
def security_log_page():
    """Everyone's security log, newest first, optionally of one kind."""
    kind = request.args.get("kind", "")
    page = db.paginate(
        security_log.all_events(kind), per_page=LOG_PER_PAGE, max_per_page=LOG_PER_PAGE
    )
    return render_template(
        "accounts/admin/security_log.html",
        page=page,
        kind=kind if kind in security_log.KIND_LABELS else "",
        labels=security_log.KIND_LABELS,
    )


@bp.get("/institutions")
def institutions():
    rows = db.session.scalars(
        db.select(Institution).order_by(Institution.country_code, Institution.acronym)
    ).all()
    return render_template("accounts/admin/institutions.html", institutions=rows)


@bp.route("/institutions/new", methods=["GET", "POST"])
def new_institution():
    return _edit_institution(None)


@bp.route("/institutions/<int:institution_id>", methods=["GET", "POST"])
def edit_institution(institution_id):
    return _edit_institution(db.session.get(Institution, institution_id) or abort(404))


def _edit_institution(institution: Institution | None):
    initial = None
    if institution is not None and request.method == "GET":
        initial = {
            "acronym": institution.acronym,
            **{f"name_{language}": name for language, name in institution.names.items()},
            "country": institution.country_code,
            "active": institution.active,
        }
    form = InstitutionForm(data=initial)
    if form.validate_on_submit():
        try:
            services.save_institution(
                institution,
                acronym=form.acronym.data,
                names={
                    language: getattr(form, f"name_{language}").data
                    for language in Institution.NAME_LANGUAGES
                },
                country_code=form.country.data,
                active=form.active.data,
            )
        except services.InstitutionError as error:
            form.acronym.errors.append(str(error))
        else:
            flash(_("Institution saved."), "success")
            return redirect(url_for("accounts_admin.institutions"))
    return render_template(
        "accounts/admin/institution_form.html", form=form, institution=institution
    )
