"""Members' pages: a board, a thread, private questions to the tutors, reports, files."""

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
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.views import content_disposition, render_error
from app.discussions import search, services
from app.discussions.forms import QuestionForm, ReplyForm, ReportForm, ThreadForm
from app.discussions.models import PostState, ThreadKind
from app.discussions.services import DiscussionError, Place, UploadRefused
from app.extensions import csrf, limiter
from app.seasons.queries import (
    COHORT_CONTEXT,
    OFFERING_CONTEXT,
    load_cohort_or_404,
    load_offering_or_404,
)

bp = Blueprint("discussions", __name__, template_folder="templates", url_prefix="/discussions")


def _account_key() -> str:
    """Posting is limited per account (a shared address says nothing about a person)."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return get_remote_address()


def _post_limit() -> str:
    return current_app.config["DISCUSSION_POST_RATE_LIMIT"]


# One budget for every way of posting: new threads, replies, questions, reports.
post_limit = limiter.shared_limit(
    _post_limit, scope="discussion-posts", key_func=_account_key, methods=["POST"]
)


def _read_upload_body():
    """Raise the request limit for a post with files, then check the form token; a body
    over the limit is answered 413 before anything is stored."""
    files_max = current_app.config.get("DISCUSSION_MAX_FILE_BYTES", 5 * 1024 * 1024)
    request.max_content_length = services.FILES_MAX * files_max + 1024 * 1024
    try:
        csrf.protect()
        request.files  # noqa: B018  (parse the whole body here, under the limit)
    except RequestEntityTooLarge:
        return render_error(
            413,
            _(
                "What you sent is too large: a message has at most %(chars)s characters and "
                "at most %(num)s files of %(mb)s MB each. Nothing was saved.",
                chars=services.POST_MAX,
                num=services.FILES_MAX,
                mb=files_max // (1024 * 1024),
            ),
        )
    return None


def _member_or_403(place: Place) -> bool:
    """Whether the user moderates the board; 403 unless they belong to it."""
    if not services.can_read_board(current_user, place):
        abort(403)
    return services.can_moderate(current_user, place)


@bp.route("/cohorts/<int:cohort_id>", methods=["GET", "POST"])
@login_required
@csrf.exempt  # checked in _read_upload_body, once the larger request limit is in place
@post_limit
def cohort_board(cohort_id):
    cohort = load_cohort_or_404(cohort_id, options=COHORT_CONTEXT)
    return _board(Place(cohort=cohort))


@bp.route("/courses/<int:offering_id>", methods=["GET", "POST"])
@login_required
@csrf.exempt  # checked in _read_upload_body
@post_limit
def course_board(offering_id):
    offering = load_offering_or_404(offering_id, options=OFFERING_CONTEXT)
    return _board(Place(offering=offering))


def _board(place: Place, template: str = "discussions/board.html", **extra):
    if place.offering is not None and place.course.kind == "tutor_led":
        # A tutor-led course talks in its cohorts' boards.
        own = [c for c in place.offering.cohorts if services.is_member(current_user, Place(c))]
        if not own:
            abort(404)
        return redirect(url_for("discussions.cohort_board", cohort_id=own[0].id))
    moderator = _member_or_403(place)
    form = ThreadForm(formdata=None)
    if request.method == "POST":
        if (refused := _read_upload_body()) is not None:
            return refused
        form = ThreadForm()
    if moderator:
        form.kind.choices = [
            *form.kind.choices,
            (ThreadKind.ANNOUNCEMENT.value, _("An announcement (pinned, sent to everyone)")),
        ]
    if request.method == "POST" and form.validate():
        try:
            thread = services.start_thread(
                place,
                current_user,
                ThreadKind(form.kind.data),
                form.title.data,
                form.body.data,
                form.uploads(),
            )
        except (DiscussionError, UploadRefused) as error:
            target = form.files if isinstance(error, UploadRefused) else form.body
            target.errors = [*target.errors, str(error)]
        else:
            flash(_("Your message was posted."), "success")
            return redirect(url_for("discussions.thread", thread_id=thread.id))
    board = services.find_board(place)
    words = request.args.get("q", "").strip()[: search.QUERY_MAX]
    if words:
        return render_template(
            "discussions/search.html",
            place=place,
            words=words,
            results=search.search_posts(board, place, current_user, moderator, words),
            board_url=_board_url(place),
        )
    page = services.board_threads(board, current_user, moderator, request.args.get("page", 1, int))
    return render_template(
        template,
        place=place,
        page=page,
        form=form,
        moderator=moderator,
        may_post=services.is_member(current_user, place),
        board_url=_board_url(place),
        **extra,
    )


def _board_url(place: Place, **values) -> str:
    if place.network is not None:
        return url_for("networks.board", slug=place.network.slug, **values)
    if place.cohort is not None:
        return url_for("discussions.cohort_board", cohort_id=place.cohort.id, **values)
    return url_for("discussions.course_board", offering_id=place.offering.id, **values)


def load_readable_thread(thread_id: int):
    """(thread, place, moderator?) or 404/403: not a member 403; a private question of
    someone else, or what a moderator hid, is not found."""
    thread = services.load_thread(thread_id) or abort(404)
    place = Place.of(thread.board)
    moderator = _member_or_403(place)
    if not services.can_read_thread(current_user, thread, place, moderator):
        abort(404)
    return thread, place, moderator


@bp.route("/threads/<int:thread_id>", methods=["GET", "POST"])
@login_required
@csrf.exempt  # checked in _read_upload_body
@post_limit
def thread(thread_id):
    found, place, moderator = load_readable_thread(thread_id)
    form = ReplyForm(formdata=None)
    if request.method == "POST":
        if (refused := _read_upload_body()) is not None:
            return refused
        form = ReplyForm()
        if form.validate():
            try:
                post = services.reply(found, place, current_user, form.body.data, form.uploads())
            except (DiscussionError, UploadRefused) as error:
                target = form.files if isinstance(error, UploadRefused) else form.body
                target.errors = [*target.errors, str(error)]
                found, place, moderator = load_readable_thread(thread_id)
            else:
                flash(_("Your reply was posted."), "success")
                return redirect(
                    url_for(
                        "discussions.thread",
                        thread_id=found.id,
                        page=services.page_of_post(found, post),
                        _anchor=f"post-{post.id}",
                    )
                )
    page = services.thread_posts(found, request.args.get("page", 1, int))
    may_reply = (
        found.state == PostState.VISIBLE
        and (moderator or not found.locked)
        and (place.network is None or services.is_member(current_user, place))
    )
    return render_template(
        "discussions/thread.html",
        thread=found,
        place=place,
        page=page,
        form=form if may_reply else None,
        moderator=moderator,
        may_mark=services.can_mark_answer(current_user, found, moderator),
        board_url=_board_url(place),
    )


def _load_post(post_id: int):
    """(post, thread, place, moderator?) for a post the user may read, else 404/403."""
    post = services.load_post(post_id) or abort(404)
    found, place, moderator = load_readable_thread(post.thread_id)
    if post.state != PostState.VISIBLE and not moderator:
        abort(404)
    return post, found, place, moderator


@bp.post("/threads/<int:thread_id>/answer")
@login_required
def mark_answer(thread_id):
    """Mark the reply named by the button pressed (one form holds a page's buttons)."""
    found, place, moderator = load_readable_thread(thread_id)
    if not services.can_mark_answer(current_user, found, moderator):
        abort(403)
    post_id = request.form.get("post", type=int)
    post = services.load_post(post_id) if post_id else None
    if post is None or post.thread_id != found.id:
        flash(_("Choose the reply that answers the question."), "error")
        return redirect(url_for("discussions.thread", thread_id=found.id))
    try:
        services.mark_answer(post, place, current_user)
    except DiscussionError as error:
        return render_error(error.status, str(error))
    flash(_("The answer was marked."), "success")
    return redirect(
        url_for(
            "discussions.thread",
            thread_id=found.id,
            page=services.page_of_post(found, post),
            _anchor=f"post-{post.id}",
        )
    )


@bp.get("/files/<token>")
@login_required
def attachment(token):
    """A picture or PDF of a post, as an attachment, to those who may read the post."""
    stored = services.attachment_by_token(token) or abort(404)
    _load_post(stored.post_id)
    response = Response(stored.data, content_type=stored.content_type)
    response.headers["Content-Disposition"] = content_disposition("attachment", stored.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/cohorts/<int:cohort_id>/questions", methods=["GET", "POST"])
@login_required
@csrf.exempt  # checked in _read_upload_body
@post_limit
def questions(cohort_id):
    """A learner's private questions to the cohort's tutors (and a new one); tutors see all."""
    cohort = load_cohort_or_404(cohort_id, options=COHORT_CONTEXT)
    place = Place(cohort=cohort)
    moderator = _member_or_403(place)
    form = QuestionForm(formdata=None)
    if request.method == "POST":
        if (refused := _read_upload_body()) is not None:
            return refused
        form = QuestionForm()
        if form.validate():
            try:
                found = services.start_thread(
                    place,
                    current_user,
                    ThreadKind.PRIVATE,
                    form.title.data,
                    form.body.data,
                    form.uploads(),
                )
            except (DiscussionError, UploadRefused) as error:
                target = form.files if isinstance(error, UploadRefused) else form.body
                target.errors = [*target.errors, str(error)]
            else:
                flash(_("Your question was sent to the tutors."), "success")
                return redirect(url_for("discussions.thread", thread_id=found.id))
    board = services.find_board(place)
    return render_template(
        "discussions/questions.html",
        place=place,
        threads=services.private_questions(board, current_user, moderator),
        form=form,
        moderator=moderator,
        board_url=_board_url(place),
    )


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@login_required
@post_limit
def report(post_id):
    """Tell the board's moderators why a post should be looked at."""
    from app.discussions import moderation

    post, found, place, _moderator = _load_post(post_id)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            moderation.report_post(post, place, current_user, form.reason.data)
        except DiscussionError as error:
            form.reason.errors = [*form.reason.errors, str(error)]
            post, found, place, _moderator = _load_post(post_id)
        else:
            flash(_("Thank you: the moderators will look at it."), "success")
            return redirect(url_for("discussions.thread", thread_id=found.id))
    return render_template(
        "discussions/report.html", post=post, thread=found, place=place, form=form
    )
