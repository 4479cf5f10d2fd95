"""Administrators' certificate pages: the list, one certificate with its history (revoke,
restore, re-issue, download), and bulk issue for a season or one of its cohorts, which runs
as a background job whose progress the administrator follows on /admin/jobs/<id>."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.catalog.models import Course
from app.certificates import corrections, services, signatories
from app.certificates.forms import (
    BulkIssueForm,
    NameDecisionForm,
    PartnerForm,
    ReasonForm,
    SignatoryForm,
)
from app.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateStatus,
    NameCorrectionRequest,
    Partner,
    Signatory,
)
from app.core import jobs
from app.core.auth import admin_blueprint
from app.core.i18n import localise
from app.extensions import db
from app.seasons.models import Cohort, Season

bp = admin_blueprint(
    "certificates_admin", __name__, url_prefix="/admin", template_folder="templates"
)

PER_PAGE = 25
# A form sent back with its errors gets 200, as elsewhere in the administrators' pages.
INVALID = 200


ACTION_LABELS = {
    CertificateAction.ISSUED: _l("Issued"),
    CertificateAction.REISSUED: _l("Re-issued"),
    CertificateAction.LANGUAGE: _l("Printed in another language"),
    CertificateAction.REVOKED: _l("Revoked"),
    CertificateAction.RESTORED: _l("Restored"),
    CertificateAction.NAME_REQUESTED: _l("Name correction asked for"),
    CertificateAction.NAME_CORRECTED: _l("Name corrected"),
    CertificateAction.NAME_REFUSED: _l("Name correction refused"),
}


@bp.context_processor
def page_helpers():
    return {"action_labels": ACTION_LABELS}


def _actor() -> services.Actor:
    return services.Actor.person(current_user)


@bp.get("/certificates")
def certificates():
    text = request.args.get("q", "")[:100]
    status = request.args.get("status", "")
    if status not in {"", *CertificateStatus}:
        status = ""
    season_id = request.args.get("season", type=int)
    query = services.search_certificates(text, season_id=season_id, status=status)
    page = db.paginate(query, per_page=PER_PAGE, max_per_page=PER_PAGE)
    seasons = list(db.session.scalars(select(Season).order_by(Season.starts_on.desc())))
    return render_template(
        "certificates/admin/list.html",
        page=page,
        query=text,
        status=status,
        season_id=season_id,
        seasons=seasons,
    )


def _certificate_page(certificate: Certificate, reason_form=None, status=200, name_form=None):
    return (
        render_template(
            "certificates/admin/certificate.html",
            certificate=certificate,
            events=services.history(certificate),
            documents=services.documents_of(certificate),
            reason_form=reason_form or ReasonForm(formdata=None),
            name_request=corrections.pending_request(certificate),
            name_form=name_form or NameDecisionForm(formdata=None),
        ),
        status,
    )


def _load(certificate_id: int) -> Certificate:
    return db.session.get(Certificate, certificate_id) or abort(404)


@bp.get("/certificates/<int:certificate_id>")
def certificate(certificate_id):
    return _certificate_page(_load(certificate_id))


def _with_reason(certificate_id: int, action, done_message: str):
    certificate = _load(certificate_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            action(certificate, form.reason.data, _actor())
        except services.CertificateError as error:
            form.form_errors.append(str(error))
        else:
            flash(done_message, "success")
            return redirect(
                url_for("certificates_admin.certificate", certificate_id=certificate_id)
            )
    return _certificate_page(_load(certificate_id), reason_form=form, status=INVALID)


@bp.post("/certificates/<int:certificate_id>/revoke")
def revoke(certificate_id):
    return _with_reason(
        certificate_id,
        services.revoke,
        _("Certificate revoked: its verification page says so from now on."),
    )


@bp.post("/certificates/<int:certificate_id>/restore")
def restore(certificate_id):
    return _with_reason(
        certificate_id, services.restore, _("Certificate restored: it is valid again.")
    )


@bp.post("/certificates/<int:certificate_id>/reissue")
def reissue(certificate_id):
    certificate = _load(certificate_id)
    form = BulkIssueForm()  # only its CSRF token is read here
    if form.validate_on_submit():
        try:
            services.reissue(certificate, _actor())
        except services.CertificateError as error:
            flash(str(error), "error")
        else:
            flash(
                _("The certificate is being printed again with today's design and signatories."),
                "success",
            )
        return redirect(url_for("certificates_admin.certificate", certificate_id=certificate_id))
    return _certificate_page(certificate, status=INVALID)


# Bulk issue -------------------------------------------------------------------------------


def _season_page(season: Season, form=None, status=200):
    overview = services.season_overview(season.id)
    return (
        render_template(
            "certificates/admin/season.html",
            season=season,
            counts=overview.rows,
            total=overview.total,
            courses=overview.courses,
            cohorts=overview.cohorts,
            form=form or BulkIssueForm(formdata=None),
        ),
        status,
    )


@bp.get("/seasons/<int:season_id>/certificates")
def season_certificates(season_id):
    season = db.session.get(Season, season_id) or abort(404)
    return _season_page(season)


@bp.post("/seasons/<int:season_id>/certificates")
def issue_for_season(season_id):
    season = db.session.get(Season, season_id) or abort(404)
    form = BulkIssueForm()
    if not form.validate_on_submit():
        return _season_page(season, form, status=INVALID)
    cohort = None
    if form.cohort_id.data:
        cohort_id = form.cohort_id.data
        cohort = db.session.get(Cohort, int(cohort_id)) if cohort_id.isdigit() else None
        if cohort is None or cohort.offering.season_id != season.id:
            form.form_errors.append(_("That cohort is not part of this season."))
            return _season_page(season, form, status=INVALID)
    ids = services.completed_enrollment_ids(
        season_id=season.id, cohort_id=cohort.id if cohort else None
    )
    if not ids:
        form.form_errors.append(_("Nobody has completed a course here yet: nothing to issue."))
        return _season_page(season, form, status=INVALID)
    title = season.name if cohort is None else f"{season.name} · {cohort.name}"
    job = services.start_bulk_issue(title, ids, again=form.again.data, actor=_actor())
    message = ngettext(
        "Issuing %(num)s certificate in the background.",
        "Issuing %(num)s certificates in the background.",
        len(ids),
    )
    flash(message, "success")
    if not jobs.queue_reachable(current_app):
        # Saved all the same: the job waits in the database and starts once the queue is back.
        flash(
            _(
                "The background workers cannot be reached right now. The job is saved and "
                "starts by itself as soon as they are back."
            ),
            "error",
        )
    return redirect(url_for("core_admin.job", job_id=job.id))


# Name corrections -------------------------------------------------------------------------


@bp.get("/certificates/name-requests")
def name_requests():
    return render_template(
        "certificates/admin/name_requests.html", requests=corrections.pending_requests()
    )


@bp.post("/certificates/name-requests/<int:request_id>")
def decide_name_request(request_id):
    name_request = db.session.get(NameCorrectionRequest, request_id) or abort(404)
    certificate = name_request.certificate
    form = NameDecisionForm()
    if form.validate_on_submit():
        try:
            corrections.decide(
                name_request, form.decision.data == "approve", form.reason.data, _actor()
            )
        except services.CertificateError as error:
            form.form_errors.append(str(error))
        else:
            if form.decision.data == "approve":
                flash(_("Name corrected: a new edition is being printed."), "success")
            else:
                flash(_("Correction refused; the holder is told why."), "success")
            return redirect(
                url_for("certificates_admin.certificate", certificate_id=certificate.id)
            )
    return _certificate_page(_load(certificate.id), name_form=form, status=INVALID)


# Signatories and partners -------------------------------------------------------------------


def _course_choices() -> list[tuple[str, str]]:
    courses = db.session.scalars(select(Course).order_by(Course.position, Course.id))
    return [(str(c.id), str(localise(c.title, c.language))) for c in courses]


def _season_choices() -> list[tuple[str, str]]:
    seasons = db.session.scalars(select(Season).order_by(Season.starts_on.desc()))
    return [(str(s.id), s.name) for s in seasons]


def _signing_page(signatory_form=None, partner_form=None, status=200):
    courses, seasons = _course_choices(), _season_choices()
    signatory_form = signatory_form or SignatoryForm(formdata=None, prefix="signatory")
    partner_form = partner_form or PartnerForm(formdata=None, prefix="partner")
    signatory_form.course_id.choices = [("", _("Every course"))] + courses
    signatory_form.season_id.choices = [("", _("Every season"))] + seasons
    partner_form.course_id.choices = courses
    people, partners = signatories.signatories_page()
    return (
        render_template(
            "certificates/admin/signing.html",
            signatories=people,
            partners=partners,
            courses=dict(courses),
            seasons=dict(seasons),
            signatory_form=signatory_form,
            partner_form=partner_form,
        ),
        status,
    )


def _id_or_none(value: str | None, model) -> int | None:
    """The id a select sent, if it names a row; None for none chosen. ValueError otherwise."""
    if not value:
        return None
    if not value.isdigit() or db.session.get(model, int(value)) is None:
        raise ValueError(value)
    return int(value)


@bp.get("/certificates/signatories")
def signing():
    return _signing_page()


@bp.post("/certificates/signatories")
def add_signatory():
    form = SignatoryForm(prefix="signatory")
    if form.validate_on_submit():
        try:
            course_id = _id_or_none(form.course_id.data, Course)
            season_id = _id_or_none(form.season_id.data, Season)
        except ValueError:
            form.form_errors.append(_("Choose a course and a season from the lists."))
            return _signing_page(signatory_form=form, status=INVALID)
        try:
            signatories.add_signatory(
                course_id=course_id,
                season_id=season_id,
                name=form.name.data,
                title=form.title.data,
                signature=form.signature.data.read(signatories.PICTURE_MAX_BYTES + 1),
            )
        except signatories.SigningRefused as error:
            form.signature.errors = [*form.signature.errors, str(error)]
        else:
            flash(
                _("Signatory added: certificates issued or re-issued from now on show them."),
                "success",
            )
            return redirect(url_for("certificates_admin.signing"))
    return _signing_page(signatory_form=form, status=INVALID)


@bp.post("/certificates/partners")
def add_partner():
    form = PartnerForm(prefix="partner")
    if form.validate_on_submit():
        try:
            course_id = _id_or_none(form.course_id.data, Course)
        except ValueError:
            course_id = None
        if course_id is None:
            form.form_errors.append(_("Choose a course from the list."))
            return _signing_page(partner_form=form, status=INVALID)
        try:
            signatories.add_partner(
                course_id=course_id,
                name=form.name.data,
                logo=form.logo.data.read(signatories.PICTURE_MAX_BYTES + 1),
            )
        except signatories.SigningRefused as error:
            form.logo.errors = [*form.logo.errors, str(error)]
        else:
            flash(
                _("Partner added: certificates issued or re-issued from now on show its logo."),
                "success",
            )
            return redirect(url_for("certificates_admin.signing"))
    return _signing_page(partner_form=form, status=INVALID)


@bp.post("/certificates/signatories/<int:signatory_id>/remove")
def remove_signatory(signatory_id):
    db.session.get(Signatory, signatory_id) or abort(404)
    if BulkIssueForm().validate_on_submit():  # only its CSRF token is read here
        signatories.remove_signatory(signatory_id)
        flash(_("Signatory removed; certificates already issued keep their signatures."), "success")
    return redirect(url_for("certificates_admin.signing"))


@bp.post("/certificates/partners/<int:partner_id>/remove")
def remove_partner(partner_id):
    db.session.get(Partner, partner_id) or abort(404)
    if BulkIssueForm().validate_on_submit():
        signatories.remove_partner(partner_id)
        flash(_("Partner removed; certificates already issued keep its logo."), "success")
    return redirect(url_for("certificates_admin.signing"))
