"""Public verification (`/verify/<code>`, `.json`, a PDF check) and the learner's downloads.

Verification needs no account and shows only what the certificate prints. Every code that
names no certificate, whatever its shape, gets the same 404; the routes share a rate limit.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.certificates import corrections, services
from app.certificates.forms import (
    CheckFileForm,
    CodeForm,
    LanguageChoiceForm,
    NameCorrectionForm,
)
from app.certificates.models import Certificate, CertificateDocument
from app.core import page_cache
from app.core.views import content_disposition, render_error
from app.extensions import db, limiter

bp = Blueprint("certificates", __name__, template_folder="templates")

verify_limit = limiter.shared_limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], scope="verify")
NOINDEX = "noindex, nofollow, noarchive"

# The verification page shows the certificate's row (its name, state, revocation) and the
# languages of its editions: a visitor's copy is served until one of these changes.
page_cache.depends("certificates", Certificate, CertificateDocument)


def _not_found() -> Response:
    response = Response(render_template("certificates/not_found.html"), status=404)
    response.headers["X-Robots-Tag"] = NOINDEX
    return response


def _public(response: Response) -> Response:
    """Verification answers: never indexed, never kept without asking again (a revocation
    shows at once): kept by no one, or, for a visitor's page, revalidated on every use."""
    response.headers["X-Robots-Tag"] = NOINDEX
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/verify")
@verify_limit
def verify_form():
    form = CodeForm(request.args)
    if "code" in request.args and form.validate():
        certificate = services.find_by_code(form.code.data)
        if certificate is None:
            return _not_found()
        return redirect(url_for("certificates.verify", code=certificate.grouped_code))
    return _public(Response(render_template("certificates/verify_form.html", form=form)))


def _page(certificate: Certificate, form: CheckFileForm, check=None, status=200) -> Response:
    html = render_template(
        "certificates/verify.html",
        certificate=certificate,
        languages=services.edition_languages(certificate),
        form=form,
        check=check,
    )
    return _public(Response(html, status=status))


@bp.get("/verify/<path:code>")
@verify_limit
def verify(code):
    def render() -> str:
        certificate = services.find_by_code(code)
        if certificate is None:
            abort(_not_found())
        if code != certificate.grouped_code:
            # Typed in lower case or without hyphens: show it under its printed form.
            abort(redirect(url_for("certificates.verify", code=certificate.grouped_code), 301))
        return render_template(
            "certificates/verify.html",
            certificate=certificate,
            languages=services.edition_languages(certificate),
            form=CheckFileForm(formdata=None),
            check=None,
        )

    # For visitors, from the page cache until a certificate changes (see `depends` above): a
    # page kept for this path under today's versions shows a certificate that is there, as it
    # is, so a visitor's request finds it without looking the code up.
    return _public(page_cache.page(("certificates",), render))


@bp.post("/verify/<path:code>")
@verify_limit
def check_file(code):
    certificate = services.find_by_code(code)
    if certificate is None:
        return _not_found()
    form = CheckFileForm()
    if not form.validate():
        return _page(certificate, form)
    check = services.check_file(certificate, form.pdf.data.read())
    return _page(certificate, CheckFileForm(formdata=None), check=check)


@bp.get("/verify/<path:code>.json")
@verify_limit
def verify_json(code):
    certificate = services.find_by_code(code)
    if certificate is None:
        response = jsonify(error="not_found")
        response.status_code = 404
        return _public(response)
    response = jsonify(services.public_record(certificate))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _public(response)


# The learner's own certificates -----------------------------------------------------------


def _own_certificate(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id) or abort(404)
    if not certificate.can_download(current_user):
        abort(403)
    return certificate


@bp.get("/certificates/<int:certificate_id>/pdf")
@login_required
def download(certificate_id):
    certificate = _own_certificate(certificate_id)
    if certificate.revoked and not current_user.is_admin:
        # A revoked certificate is not handed out again; its history stays for administrators.
        return render_error(403, _("This certificate was revoked: it can no longer be downloaded."))
    document = services.current_document(certificate, with_data=True)
    if document is None:
        services.request_document(certificate)
        page = render_template("certificates/preparing.html", certificate=certificate)
        return Response(page, status=202)
    response = Response(document.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(
        "attachment", f"certificate-{certificate.grouped_code}.pdf"
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/certificates/<int:certificate_id>/language")
@login_required
def change_language(certificate_id):
    certificate = _own_certificate(certificate_id)
    if certificate.user_id != current_user.id:
        abort(403)
    form = LanguageChoiceForm()
    if not form.validate():
        flash(_("Choose Spanish, Portuguese or English."), "error")
        return redirect(url_for("learning.dashboard"))
    try:
        changed = services.change_language(
            certificate, form.language.data, services.Actor.person(current_user)
        )
    except services.CertificateError as error:
        flash(str(error), "error")
        return redirect(url_for("learning.dashboard"))
    if changed:
        flash(_("Your certificate is being printed in the language you chose."), "success")
    return redirect(url_for("learning.dashboard"))


@bp.post("/certificates/<int:certificate_id>/name")
@login_required
def request_name_correction(certificate_id):
    certificate = _own_certificate(certificate_id)
    if certificate.user_id != current_user.id:
        abort(403)
    form = NameCorrectionForm()
    if not form.validate():
        message = next(iter(form.errors.values()), [_("Type the name as it should be printed.")])
        flash(message[0], "error")
        return redirect(url_for("learning.dashboard", _anchor="certificates"))
    try:
        corrections.request_correction(
            certificate, form.name.data, form.explanation.data or "", current_user
        )
    except services.CertificateError as error:
        flash(str(error), "error")
    else:
        flash(_("Your request was sent: an administrator will answer by mail."), "success")
    return redirect(url_for("learning.dashboard", _anchor="certificates"))
