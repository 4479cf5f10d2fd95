"""Pages that belong to no area: home, health check, language switch, error pages."""

import contextlib
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import selectinload, undefer

from app.core.auth import admin_blueprint, safe_next_url
from app.core.forms import LanguageForm
from app.core.jobs import JOB_KINDS
from app.core.mail import mail_counts
from app.core.models import Job, MailState, OutboxMessage, StoredFile
from app.core.refusals import Refusal
from app.core.storage import INLINE_TYPES
from app.extensions import db, login_manager

bp = Blueprint("core", __name__, template_folder="templates")
admin_bp = admin_blueprint("core_admin", __name__, url_prefix="/admin")


@bp.get("/")
def index():
    return render_template("core/index.html")


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("health check: database did not answer")
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/favicon.ico")
def favicon():
    """The icon browsers ask for on their own (pages also link the SVG one)."""
    response = current_app.send_static_file("favicon.ico")
    response.headers["Cache-Control"] = "public, max-age=604800"  # a week: its URL never changes
    return response


@bp.get("/files/<sha256>/<filename>")
def stored_file(sha256, filename):
    """A stored file by content hash: cached for a year; pictures inline, all else downloaded."""
    found = db.session.scalar(
        select(StoredFile).where(StoredFile.sha256 == sha256).options(undefer(StoredFile.data))
    )
    if found is None or found.filename != filename:
        abort(404)
    inline = found.content_type in INLINE_TYPES
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", found.filename
    )
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def content_disposition(disposition: str, filename: str) -> str:
    """A Content-Disposition header with an ASCII fallback and the UTF-8 name (RFC 6266)."""
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@bp.post("/language")
def switch_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
    return redirect(safe_next_url(form.next.data) or url_for("core.index"))


@admin_bp.get("/")
def admin_home():
    return render_template("core/admin_home.html")


@admin_bp.get("/outbox")
def outbox():
    """The latest mail: kept (no SMTP server), waiting for the server with its error, or sent."""
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(100)
    ).all()
    return render_template(
        "core/outbox.html",
        messages=messages,
        counts=mail_counts(),
        smtp=bool(current_app.config["SMTP_HOST"]),
        states=MailState,
    )


@admin_bp.context_processor
def job_labels():
    return {"job_kinds": JOB_KINDS}


@admin_bp.get("/jobs")
def jobs():
    """Background jobs administrators started, newest first (the latest 50)."""
    rows = db.session.scalars(select(Job).order_by(Job.id.desc()).limit(50)).all()
    return render_template("core/jobs.html", jobs=rows)


@admin_bp.get("/jobs/<int:job_id>")
def job(job_id):
    """One job's progress and failures; the page refreshes itself until the job is done."""
    found = db.session.scalar(
        select(Job).where(Job.id == job_id).options(selectinload(Job.failures))
    )
    if found is None:
        abort(404)
    return render_template("core/job.html", job=found)


ERROR_MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("There is no page at this address.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Not possible now"), _l("This cannot be done now. Go back and try again.")),
    413: (_l("Too large"), _l("What you sent is larger than this page accepts.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An error occurred on our side. Try again later.")),
    503: (
        _l("Not available right now"),
        _l(
            "This service is unavailable for a moment. Nothing you saved is lost: "
            "try again in a few minutes."
        ),
    ),
}


def render_error(code: int, message=None):
    title, default_message = ERROR_MESSAGES.get(code, ERROR_MESSAGES[500])
    if request.accept_mimetypes.best == "application/json":
        return {"error": str(message or default_message)}, code
    return (
        render_template(
            "core/error.html", code=code, title=title, message=message or default_message
        ),
        code,
    )


def register_error_handlers(app) -> None:
    """Translated error pages for the codes a visitor can meet."""
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        current_app.logger.info("CSRF refusal on %s: %s", request.path, error.description)
        return render_error(
            400,
            _l("This form has expired or was not sent from this site. Reload it and try again."),
        )

    for code in ERROR_MESSAGES:
        if code in (500, 503):
            continue
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(Refusal)
    def refused(error):
        # A refusal no view turned into a form message: its reason, on a page.
        db.session.rollback()
        return render_error(error.status, str(error))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        return _unavailable(error)

    @app.errorhandler(500)
    def server_error(error):
        original = getattr(error, "original_exception", None)
        if isinstance(original, OperationalError | InterfaceError):
            return _unavailable(original)
        db.session.rollback()
        return render_error(500)


def _unavailable(error):
    """The database does not answer: a translated 503 page that needs nothing from it (the
    visitor is shown as signed out, since their session cannot be read)."""
    current_app.logger.error("database unavailable on %s: %s", request.path, error)
    g._login_user = login_manager.anonymous_user()
    with contextlib.suppress(Exception):
        db.session.rollback()
    body, code = render_error(503)
    return body, code, {"Retry-After": "30"}
