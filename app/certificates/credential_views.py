"""The credentials' public documents and downloads.

- `/.well-known/did.json`: the issuer's DID document (every key, retired ones too).
- `/credentials/status/<n>`: a signed Bitstring Status List, as stored.
- `/credentials/<code>.json`: a certificate's credential, as embedded in its current PDF
  (offered by the verification page).
- `/certificates/<id>/credential.json`: the learner's own download from the dashboard.

The public documents are meant for machines anywhere: JSON, readable cross-origin, never
indexed. Status lists are not cached long, so a revocation shows within a minute.
"""

import json

from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.certificates import services, signing
from app.certificates.credentials import did, keys, status
from app.certificates.views import _own_certificate, verify_limit
from app.core.views import content_disposition, render_error

bp = Blueprint("credentials", __name__)
NOINDEX = "noindex, nofollow, noarchive"


def _json(body: str | dict, *, status_code: int = 200, cache: str = "no-cache") -> Response:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, indent=2)
    response = Response(text, status=status_code, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Robots-Tag"] = NOINDEX
    response.headers["Cache-Control"] = cache
    return response


@bp.get("/.well-known/did.json")
def did_document():
    try:
        entries = keys.read_keyring(keys.folder())
    except keys.KeyProblem:
        entries = []
    # Revalidated each time: a new key must be known as soon as it signs.
    return _json(did.did_document(did.issuer_did(), entries), cache="no-cache")


@bp.get("/credentials/status/<int:list_id>")
def status_list(list_id):
    try:
        stored = status.stored_list(list_id)
    except keys.KeyProblem:
        return _json({"error": "unavailable"}, status_code=503)
    if stored is None:
        return _json({"error": "not_found"}, status_code=404)
    # Short: a revocation must reach verifiers soon, and the list is small.
    return _json(stored, cache="public, max-age=60")


NOT_READY = object()


def _credential_of(certificate):
    """The credential the current PDF carries; NOT_READY while the PDF is being made; None
    for a PDF stored before credentials existed (re-issuing it makes one)."""
    document = services.current_document(certificate, with_data=True)
    if document is None:
        return NOT_READY
    try:
        return signing.embedded_credential(document.data)
    except signing.NoCredential:
        return None


@bp.get("/credentials/<path:code>.json")
@verify_limit
def public_credential(code):
    certificate = services.find_by_code(code)
    if certificate is None or certificate.revoked:
        return _json({"error": "not_found"}, status_code=404, cache="no-store")
    credential = _credential_of(certificate)
    if credential is None or credential is NOT_READY:
        return _json({"error": "not_ready"}, status_code=404, cache="no-store")
    response = _json(credential, cache="no-store")
    response.headers["Content-Disposition"] = content_disposition(
        "inline", f"credential-{certificate.grouped_code}.json"
    )
    return response


@bp.get("/certificates/<int:certificate_id>/credential.json")
@login_required
def download(certificate_id):
    certificate = _own_certificate(certificate_id)
    if certificate.revoked and not current_user.is_admin:
        return render_error(403, _("This certificate was revoked: it can no longer be downloaded."))
    credential = _credential_of(certificate)
    if credential is None:
        abort(404)
    if credential is NOT_READY:
        # Signed with the PDF: ask for it, as the PDF download does.
        services.request_document(certificate)
        page = render_template("certificates/preparing.html", certificate=certificate)
        return Response(page, status=202)
    response = _json(credential, cache="private, no-store")
    response.headers["Content-Disposition"] = content_disposition(
        "attachment", f"credential-{certificate.grouped_code}.json"
    )
    return response
