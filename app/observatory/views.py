"""The observatory's pages: public (list, entry, files, Atom feed), coordinators' (drafts,
files, sending for review) and administrators' (review: publish or send back)."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.accounts.forms import country_select_choices
from app.accounts.services import external_url
from app.capstones.uploads import allowed_extensions
from app.coordinators.auth import coordinator_blueprint, load_own_institution_or_404
from app.coordinators.services import can_coordinate
from app.core.auth import admin_blueprint
from app.core.i18n import localise
from app.core.models import StoredFile
from app.core.views import content_disposition, render_error
from app.extensions import csrf, db
from app.observatory import services
from app.observatory.forms import EntryFileForm, EntryForm, ReturnForm
from app.observatory.models import LANGUAGES, Entry, EntryFile
from app.observatory.vocabulary import AUDIENCES, THEMES

bp = Blueprint("observatory", __name__, url_prefix="/observatory", template_folder="templates")
coordinator_bp = coordinator_blueprint(
    "observatory_coordinator", __name__, url_prefix="/institution", template_folder="templates"
)
admin_bp = admin_blueprint(
    "observatory_admin", __name__, url_prefix="/admin/observatory", template_folder="templates"
)

PER_PAGE = 20
FEED_SIZE = 50


@bp.app_context_processor
def vocabulary():
    return {"observatory_themes": THEMES, "observatory_audiences": AUDIENCES}


# Public -----------------------------------------------------------------------------------


@bp.get("/")
def index():
    filters = services.Filters.from_args(request.args)
    page = db.paginate(
        services.published_query(filters),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )
    countries, institutions = services.filter_options()
    return render_template(
        "observatory/index.html",
        page=page,
        filters=filters,
        countries=countries,
        institutions=institutions,
        languages=LANGUAGES,
    )


def _published_or_404(entry_id: int) -> Entry:
    entry = services.load_entry(entry_id)
    if entry is None or not entry.is_public:
        abort(404)
    return entry


@bp.get("/<int:entry_id>")
def entry(entry_id):
    found = _published_or_404(entry_id)
    asked = request.args.get("lang", "")
    if asked in found.language_list:
        shown = asked
    else:
        shown = localise(found.title, found.main_language).language
    return render_template(
        "observatory/entry.html",
        entry=found,
        shown_language=shown,
        language_endpoint="observatory.entry",
        language_args={"entry_id": found.id},
        # The site's own address (BASE_URL), whatever host the request named: citable.
        citation_url=external_url("observatory.entry", entry_id=found.id),
    )


@bp.get("/<int:entry_id>/files/<int:file_id>")
def download(entry_id, file_id):
    """An entry's file, always as an attachment: to anyone once published, else to those
    who may edit or review it."""
    found = services.load_entry(entry_id) or abort(404)
    if not found.is_public and not can_coordinate(current_user, found.institution_id):
        abort(404)
    entry_file = next((f for f in found.files if f.id == file_id), None) or abort(404)
    data = db.session.scalar(
        db.select(StoredFile.data).where(StoredFile.id == entry_file.stored_file_id)
    )
    return _attachment(data, entry_file)


def _attachment(data: bytes, entry_file: EntryFile) -> Response:
    response = Response(data, mimetype=entry_file.content_type)
    response.headers["Content-Disposition"] = content_disposition("attachment", entry_file.filename)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/feed.atom")
def feed():
    entries = services.latest_published(FEED_SIZE)
    body = render_template(
        "observatory/feed.xml",
        entries=entries,
        base=current_app.config["BASE_URL"],
        updated=entries[0].published_at if entries else None,
        locale=str(get_locale()),
    )
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}


# Coordinators -----------------------------------------------------------------------------


def _own_entry(institution_id: int, entry_id: int):
    institution = load_own_institution_or_404(institution_id)
    found = services.load_entry(entry_id)
    if found is None or found.institution_id != institution.id:
        abort(404)
    return institution, found


def _entry_form(entry: Entry | None, institution) -> EntryForm:
    initial = None
    if request.method == "GET":
        if entry is None:
            initial = {"country": institution.country_code, "audience": "everyone"}
        else:
            initial = {
                "country": entry.country_code,
                "themes": entry.theme_list,
                "audience": entry.audience,
                "period_from": entry.period_from,
                "period_to": entry.period_to,
                "links": "\n".join(
                    f"{link['url']} {link['label']}".strip() for link in entry.links
                ),
            }
            for language in LANGUAGES:
                initial[f"title_{language}"] = entry.title.get(language, "")
                initial[f"summary_{language}"] = entry.summary.get(language, "")
                initial[f"body_{language}"] = entry.body.get(language, "")
    form = EntryForm(data=initial)
    form.country.choices = country_select_choices()
    return form


def _draft_of(form: EntryForm) -> services.EntryDraft:
    texts = {
        language: services.EntryTexts(
            getattr(form, f"title_{language}").data or "",
            getattr(form, f"summary_{language}").data or "",
            getattr(form, f"body_{language}").data or "",
        )
        for language in LANGUAGES
    }
    return services.EntryDraft(
        texts=texts,
        country_code=form.country.data or "",
        themes=list(form.themes.data or []),
        audience=form.audience.data or "",
        period_from=form.period_from.data,
        period_to=form.period_to.data,
        links=form.links.data or "",
    )


@coordinator_bp.get("/<int:institution_id>/experiences")
def entries(institution_id):
    institution = load_own_institution_or_404(institution_id)
    return render_template(
        "observatory/entries.html",
        institution=institution,
        entries=services.entries_of(institution),
    )


@coordinator_bp.route("/<int:institution_id>/experiences/new", methods=["GET", "POST"])
def new_entry(institution_id):
    institution = load_own_institution_or_404(institution_id)
    return _edit(institution, None)


@coordinator_bp.route("/<int:institution_id>/experiences/<int:entry_id>", methods=["GET", "POST"])
def edit_entry(institution_id, entry_id):
    institution, found = _own_entry(institution_id, entry_id)
    return _edit(institution, found)


def _edit(institution, entry: Entry | None):
    form = _entry_form(entry, institution)
    problem = None
    if form.validate_on_submit():
        try:
            saved = services.save_entry(entry, institution, _draft_of(form), current_user)
        except services.ObservatoryError as error:
            problem = str(error)
        else:
            flash(_("The draft is saved."), "success")
            return redirect(
                url_for(
                    "observatory_coordinator.edit_entry",
                    institution_id=institution.id,
                    entry_id=saved.id,
                )
            )
    return render_template(
        "observatory/edit.html",
        institution=institution,
        entry=entry,
        form=form,
        problem=problem,
        file_form=EntryFileForm(formdata=None),
        accepted_types=", ".join(allowed_extensions()),
        max_file_mb=current_app.config["CAPSTONE_MAX_FILE_BYTES"] // (1024 * 1024),
        languages=LANGUAGES,
    )


@coordinator_bp.post("/<int:institution_id>/experiences/<int:entry_id>/submit")
def submit_entry(institution_id, entry_id):
    institution, found = _own_entry(institution_id, entry_id)
    try:
        services.submit_entry(found)
    except services.ObservatoryError as error:
        flash(str(error), "error")
    else:
        flash(_("The entry is sent for review."), "success")
    return redirect(
        url_for("observatory_coordinator.edit_entry", institution_id=institution.id,
                entry_id=found.id)
    )  # fmt: skip


@coordinator_bp.post("/<int:institution_id>/experiences/<int:entry_id>/files")
@csrf.exempt  # checked below, once the larger request limit is in place
def add_file(institution_id, entry_id):
    # The app accepts 2 MB requests; guides are larger. Raise the limit before anything
    # reads the body (the CSRF check reads the form), as capstone projects do.
    limit = current_app.config["CAPSTONE_MAX_FILE_BYTES"]
    request.max_content_length = limit + 1024 * 1024
    institution, found = _own_entry(institution_id, entry_id)
    try:
        csrf.protect()
        request.files  # noqa: B018  (parse the whole body here, under the limit)
    except RequestEntityTooLarge:
        return render_error(
            413,
            _("A file may be at most %(mb)s MB. Nothing was saved.", mb=limit // (1024 * 1024)),
        )
    form = EntryFileForm()
    if not form.validate_on_submit():
        flash(_("Choose a file."), "error")
    else:
        upload = form.file.data
        try:
            services.add_file(found, upload.filename or "", upload.read())
        except services.ObservatoryError as error:
            flash(str(error), "error")
        else:
            flash(_("The file is added."), "success")
    return redirect(
        url_for("observatory_coordinator.edit_entry", institution_id=institution.id,
                entry_id=found.id)
    )  # fmt: skip


@coordinator_bp.post("/<int:institution_id>/experiences/<int:entry_id>/files/<int:file_id>/remove")
def remove_file(institution_id, entry_id, file_id):
    institution, found = _own_entry(institution_id, entry_id)
    entry_file = next((f for f in found.files if f.id == file_id), None) or abort(404)
    try:
        services.remove_file(found, entry_file)
    except services.ObservatoryError as error:
        flash(str(error), "error")
    else:
        flash(_("The file is removed."), "success")
    return redirect(
        url_for("observatory_coordinator.edit_entry", institution_id=institution.id,
                entry_id=found.id)
    )  # fmt: skip


# Administrators ---------------------------------------------------------------------------


@admin_bp.get("/")
def queue():
    return render_template("observatory/admin/queue.html", entries=services.review_queue())


@admin_bp.get("/<int:entry_id>")
def review(entry_id):
    found = services.load_entry(entry_id) or abort(404)
    return render_template(
        "observatory/admin/review.html", entry=found, return_form=ReturnForm(formdata=None)
    )


@admin_bp.post("/<int:entry_id>/publish")
def publish(entry_id):
    found = services.load_entry(entry_id) or abort(404)
    try:
        services.publish_entry(found, current_user)
    except services.ObservatoryError as error:
        flash(str(error), "error")
        return redirect(url_for("observatory_admin.review", entry_id=found.id))
    flash(_("The entry is published."), "success")
    return redirect(url_for("observatory_admin.queue"))


@admin_bp.post("/<int:entry_id>/return")
def send_back(entry_id):
    found = services.load_entry(entry_id) or abort(404)
    form = ReturnForm()
    form.validate_on_submit()
    try:
        services.return_entry(found, current_user, form.comment.data or "")
    except services.ObservatoryError as error:
        form.comment.errors = [str(error)]
        return render_template("observatory/admin/review.html", entry=found, return_form=form)
    flash(_("The entry is sent back to its institution."), "success")
    return redirect(url_for("observatory_admin.queue"))
