"""Offline: the web app manifest, the service worker, saving a course, queued actions sent
back, the offline pages and the printable course pack."""

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.accounts.services import set_data_saver
from app.catalog.models import Course, Item
from app.core.i18n import localise
from app.extensions import db
from app.offline import packs, pictures, services
from app.offline.forms import DataSaverForm
from app.seasons import enrollments

bp = Blueprint("offline", __name__, template_folder="templates")
# The lesson's partial (catalog) passes its HTML through this filter: the data saver.
bp.add_app_template_filter(pictures.lighter_pictures, "lighter_pictures")

# The worker and its page script are served from app/static/offline/.
WORKER = "offline/sw.js"


@bp.get("/manifest.webmanifest")
def web_manifest():
    """What a phone needs to add Aula to its home screen."""
    icons = [
        {
            "src": url_for("static", filename=f"offline/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
        }
        for size in (192, 512)
    ]
    icons.append(
        {
            "src": url_for("static", filename="offline/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    )
    manifest = {
        "name": "Aula",
        "short_name": "Aula",
        "description": _("Distance courses of the vocational training network"),
        "lang": str(get_locale()),
        "start_url": url_for("learning.dashboard"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": icons,
    }
    response = jsonify(manifest)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/offline/sw.js")
def service_worker():
    """The service worker, allowed to look after every page of the site (scope /). Never
    cached by HTTP: the browser checks it for a new version itself."""
    response = current_app.send_static_file(WORKER)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _load_course(course_slug) -> Course:
    return services.load_course_for_offline(course_slug) or abort(404)


def _own_enrollment(course):
    enrollment = enrollments.find_enrollment(current_user, course)
    if enrollment is None:
        abort(403)
    return enrollment


def _module(course, module_slug):
    if not module_slug:
        return None
    return next((m for m in course.modules if m.slug == module_slug), None) or abort(404)


def _shell() -> tuple[list[str], int]:
    """Pages and files every saved course needs beside its own (the outline is added per
    course): the offline pages, the stylesheet and the icon; and what they weigh."""
    from app import _static_hash  # the layout's versioned stylesheet URL

    static = Path(current_app.static_folder)
    css = url_for("static", filename="aula.css", v=_static_hash(str(static / "aula.css")))
    urls = [
        url_for("offline.fallback"),
        url_for("offline.queued"),
        css,
        url_for("static", filename="favicon.svg"),
    ]
    size = 2 * services.PAGE_OVERHEAD + sum(
        (static / name).stat().st_size for name in ("aula.css", "favicon.svg")
    )
    return urls, size


def _bundle(course, module):
    outline = url_for("learning.course_home", course_slug=course.slug)
    urls, size = _shell()
    return services.bundle_of(course, module, [outline, *urls], size + services.PAGE_OVERHEAD)


@bp.get("/offline/courses/<course_slug>")
@login_required
def save_page(course_slug):
    course = _load_course(course_slug)
    _own_enrollment(course)
    bundle = _bundle(course, None)
    module_sizes = {m.id: sum(s.size for s in saved) for m, saved in bundle.items_by_module}
    return render_template(
        "offline/save.html",
        course=course,
        bundle=bundle,
        module_sizes=module_sizes,
        pack=packs.pack_for(course, str(current_user.locale or course.language)),
    )


@bp.get("/offline/courses/<course_slug>/manifest.json")
@login_required
def course_manifest(course_slug):
    """What the device saves for a course (or `?module=`): its URLs, size and version."""
    course = _load_course(course_slug)
    _own_enrollment(course)
    module = _module(course, request.args.get("module", "")[:80])
    bundle = _bundle(course, module)
    title = localise(course.title, course.language)
    if module is not None:
        title = f"{title} · {localise(module.title, course.language)}"
    response = jsonify(
        {
            "id": course.slug + (f"/{module.slug}" if module else ""),
            "course": course.slug,
            "title": title,
            "version": bundle.version,
            "size": bundle.size,
            "page": url_for("offline.save_page", course_slug=course.slug),
            "urls": bundle.urls(),
            # Whose pages these are: work queued from them is sent for this learner only.
            "user": current_user.id,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/offline/")
@login_required
def saved():
    """Courses saved on this device (listed by the page's script) and what the device sent."""
    return render_template(
        "offline/saved.html",
        actions=services.recent_actions(current_user),
        courses=services.enrolled_courses(current_user),
    )


@bp.get("/offline/fallback")
@login_required
def fallback():
    """Shown by the worker for a page that was not saved, while there is no connection."""
    return render_template("offline/fallback.html")


@bp.get("/offline/queued")
@login_required
def queued():
    """Shown by the worker when an action was kept on the device to be sent later."""
    return render_template("offline/queued.html")


@bp.get("/offline/token")
@login_required
def token():
    """A fresh form token for the worker's queued actions (an old page's may have expired)."""
    response = jsonify({"token": generate_csrf()})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/offline/actions")
@login_required
def replay():
    """One action a device queued offline, sent with its idempotency key: taken once."""
    if not request.is_json:
        # Not the worker (a form posted by hand): nothing to take; show the saved courses.
        return redirect(url_for("offline.saved"), 303)
    try:
        action = services.parse_action(request.get_json(silent=True))
    except services.MalformedAction as error:
        return jsonify({"error": str(error)}), 400
    if action.user is not None and action.user != current_user.id:
        # Queued by another learner on this device: theirs, sent when they sign in again.
        return jsonify({"error": "another learner's action"}), 409
    row = services.replay_action(current_user, action)
    title = _item_title(row.course_slug, row.item_slug)
    if row.outcome == "refused":
        flash(
            _(
                "Not counted, from your device: %(title)s. %(reason)s",
                title=title,
                reason=row.message,
            ),
            "error",
        )
    else:
        flash(
            _("Sent from your device: %(title)s. %(message)s", title=title, message=row.message),
            "success",
        )
    response = jsonify({"key": row.key, "outcome": row.outcome, "message": row.message})
    response.headers["Cache-Control"] = "no-store"
    return response


def _item_title(course_slug, item_slug) -> str:
    found = db.session.execute(
        select(Item.title, Course.language)
        .join(Course, Course.id == Item.course_id)
        .where(Course.slug == course_slug, Item.slug == item_slug)
    ).first()
    return localise(found[0], found[1]) if found else item_slug


@bp.get("/offline/courses/<course_slug>/pack.pdf")
@login_required
def pack(course_slug):
    """The course's printable pack (rendered at import), in the learner's language if kept."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug)) or abort(404)
    if not (current_user.is_admin or current_user.is_tutor):
        _own_enrollment(course)
    found = packs.pack_for(course, str(current_user.locale or course.language))
    if found is None:
        abort(404)
    return redirect(
        url_for("core.stored_file", sha256=found.file["sha256"], filename=found.file["filename"])
    )


@bp.route("/offline/data-saver", methods=["GET", "POST"])
@login_required
def data_saver():
    """The data saver preference: lessons show a tap-to-load link in place of pictures."""
    form = DataSaverForm(data=None if request.method == "POST" else {"on": current_user.data_saver})
    if form.validate_on_submit():
        set_data_saver(current_user, form.on.data)
        flash(_("Your data saver preference is saved."), "success")
        return redirect(url_for("offline.data_saver"))
    return render_template(
        "offline/data_saver.html", form=form, header_on=pictures.browser_asks_to_save_data()
    )
