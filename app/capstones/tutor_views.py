"""Tutors' side: the review queue across their cohorts, the review page, extensions and a
cohort's ZIP of the latest versions."""

from flask import (
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
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.capstones import archive, services
from app.capstones.models import (
    Decision,
    Review,
    Submission,
    SubmissionState,
    SubmissionVersion,
)
from app.capstones.tutor_forms import ExtensionForm, review_form
from app.capstones.uploads import safe_filename
from app.core.auth import tutor_blueprint
from app.core.i18n import localise, text_html
from app.core.views import content_disposition
from app.extensions import csrf, db
from app.seasons import services as seasons
from app.seasons.models import Cohort, Enrollment, Offering
from app.seasons.queries import COHORT_CONTEXT, load_cohort_or_404

bp = tutor_blueprint("capstones_tutor", __name__, template_folder="templates", url_prefix="/tutor")

# Routes that take files: their requests may be larger than the app's 2 MB.
UPLOAD_ENDPOINTS = {"capstones_tutor.review"}


@bp.before_request
def allow_feedback_files():
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = (
            current_app.config["CAPSTONE_MAX_SUBMISSION_BYTES"] + 1024 * 1024
        )


# Loading -----------------------------------------------------------------------------------


def load_submission(submission_id: int) -> Submission:
    """The submission with what the review page shows, or 404; 403 unless the user reviews."""
    submission = db.session.scalar(
        select(Submission)
        .where(Submission.id == submission_id)
        .options(
            joinedload(Submission.enrollment).joinedload(Enrollment.user),
            joinedload(Submission.cohort).options(
                joinedload(Cohort.offering).joinedload(Offering.season),
                joinedload(Cohort.offering).joinedload(Offering.course),
                selectinload(Cohort.tutors),
            ),
            joinedload(Submission.item),
            selectinload(Submission.history).selectinload(SubmissionVersion.files),
            selectinload(Submission.history)
            .selectinload(SubmissionVersion.review)
            .options(joinedload(Review.tutor), selectinload(Review.files)),
        )
        .execution_options(populate_existing=True)
    ) or abort(404)
    if not submission.can_review(current_user):
        abort(403)
    return submission


def load_led_cohort(cohort_id: int) -> Cohort:
    """The cohort with its course and season, or 404; 403 unless the user may lead it."""
    cohort = load_cohort_or_404(cohort_id, options=COHORT_CONTEXT)
    if not cohort.can_lead(current_user):
        abort(403)
    return cohort


@bp.get("/capstones")
def queue():
    """Submissions by state across the tutor's cohorts; a fixed number of queries."""
    status = request.args.get("status", SubmissionState.SUBMITTED.value)
    if status not in {s.value for s in services.QUEUE_STATES}:
        status = SubmissionState.SUBMITTED.value
    counts, page = services.review_queue(
        current_user, SubmissionState(status), request.args.get("page", 1, type=int)
    )
    titles = {key: text_html(title) for key, title in page.course_titles.items()}
    return render_template(
        "capstones/tutor_queue.html",
        page=page,
        status=status,
        filters=tuple((state.value, counts.get(state, 0)) for state in services.QUEUE_STATES),
        # Each row with its course's title, written once for the page (the rows are kept per
        # these values: app/core/kept_html.py).
        rows=[(row, titles[row.course_id]) for row in page.items],
    )


# The review page ---------------------------------------------------------------------------


def _uploads(storage) -> list[tuple[str, bytes]]:
    if storage is None or not getattr(storage, "filename", ""):
        return []
    return [(storage.filename, storage.read())]


@bp.route("/capstones/<int:submission_id>", methods=["GET", "POST"])
# The form checks its own CSRF token: the app-wide check would read the body before this
# route raises its request limit for feedback files.
@csrf.exempt
def review(submission_id):
    submission = load_submission(submission_id)
    criteria = services.rubric(submission.item)["criteria"]
    form = review_form(criteria, data={"review_token": submission.review_token})
    status, conflict = 200, None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.review(
                    submission,
                    current_user,
                    seen_token=form.review_token.data,
                    levels=form.levels(),
                    comment=form.comment.data or "",
                    decision=Decision(form.decision.data),
                    uploads=_uploads(form.feedback.data),
                )
            except services.ReviewConflict as error:
                # Show what changed; the tutor's scores and comment stay in the form, now
                # drawn from the current state should they still want to send them.
                conflict, status = str(error), 409
                submission = load_submission(submission_id)
                form.review_token.data = submission.review_token
                form.review_token.raw_data = [str(submission.review_token)]
            except services.UploadRefused as error:
                form.feedback.errors.append(str(error))
            except services.InvalidReview as error:
                form.decision.errors.append(str(error))
            else:
                flash(
                    _(
                        "Your review of %(name)s's project is saved.",
                        name=submission.enrollment.user.full_name,
                    ),
                    "success",
                )
                return redirect(url_for("capstones_tutor.queue"))
        elif form.csrf_token.errors:
            raise CSRFError(form.csrf_token.errors[0])
    return (
        render_template(
            "capstones/tutor_review.html",
            **_review_page(submission),
            form=form,
            criteria=criteria,
            conflict=conflict,
        ),
        status,
    )


def _review_page(submission: Submission) -> dict:
    item = submission.item
    return {
        "submission": submission,
        "learner": submission.enrollment.user,
        "cohort": submission.cohort,
        "course": submission.cohort.offering.course,
        "deadlines": services.deadlines(submission),
        "pass_threshold": services.rubric(item)["pass_threshold"],
        "attempts": services.attempts_allowed(item),
        "revise_allowed": submission.versions < services.attempts_allowed(item),
        "versions": list(reversed(submission.history)),
        "can_download": "capstones.download" in current_app.view_functions,
        "extension_form": ExtensionForm(
            formdata=None, prefix="extension", data={"until": submission.extended_until}
        ),
    }


# Extensions --------------------------------------------------------------------------------


def _extend(submission: Submission, form: ExtensionForm) -> None:
    """Grant (or take back) the extension the form asks for; the outcome flashed."""
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return
    try:
        services.grant_extension(submission, form.until.data)
    except services.CapstoneError as error:
        flash(str(error), "error")
        return
    name = submission.enrollment.user.full_name
    if form.until.data is None:
        flash(_("%(name)s has no extension now.", name=name), "success")
    else:
        flash(
            _(
                "%(name)s may now submit until %(date)s.",
                name=name,
                date=form.until.data.isoformat(),
            ),
            "success",
        )


@bp.post("/capstones/<int:submission_id>/extension")
def extension(submission_id):
    submission = load_submission(submission_id)
    _extend(submission, ExtensionForm(prefix="extension"))
    return redirect(url_for("capstones_tutor.review", submission_id=submission.id))


@bp.get("/cohorts/<int:cohort_id>/capstones")
def cohort(cohort_id):
    """Every learner of the cohort with the state of their project, and extensions."""
    found = load_led_cohort(cohort_id)
    course = found.offering.course
    item = services.capstone_item(course)
    enrollments = seasons.cohort_learners(found)
    submissions = {}
    if item is not None and enrollments:
        submissions = {
            s.enrollment_id: s
            for s in db.session.scalars(
                select(Submission).where(
                    Submission.item_id == item.id,
                    Submission.enrollment_id.in_([e.id for e in enrollments]),
                )
            )
        }
    rows = [
        {
            "enrollment": e,
            "learner": e.user,
            "submission": submissions.get(e.id),
            "form": ExtensionForm(
                formdata=None,
                prefix=f"e{e.id}",
                data={"until": getattr(submissions.get(e.id), "extended_until", None)},
            ),
        }
        for e in enrollments
    ]
    return render_template(
        "capstones/tutor_cohort.html", cohort=found, course=course, item=item, rows=rows
    )


@bp.post("/cohorts/<int:cohort_id>/enrollments/<int:enrollment_id>/extension")
def enrollment_extension(cohort_id, enrollment_id):
    """An extension for a learner who may not have started the project yet."""
    found = load_led_cohort(cohort_id)
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.cohort_id != found.id:
        abort(404)
    item = services.capstone_item(found.offering.course) or abort(404)
    form = ExtensionForm(prefix=f"e{enrollment.id}")
    if form.validate_on_submit():
        submission = services.start_submission(enrollment, item)
        _extend(submission, form)
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("capstones_tutor.cohort", cohort_id=found.id))


@bp.get("/cohorts/<int:cohort_id>/capstones.zip")
def cohort_zip(cohort_id):
    found = load_led_cohort(cohort_id)
    course = found.offering.course
    title = localise(course.title, course.language)
    filename = safe_filename(f"{title} - {found.name}.zip")
    response = Response(
        archive.cohort_zip_chunks(db.engine, found.id),
        mimetype="application/zip",
    )
    response.headers["Content-Disposition"] = content_disposition("attachment", filename)
    return response
