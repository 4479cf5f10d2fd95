"""Learners' side of capstone projects: the draft, submission, versions, reviews, files."""

from dataclasses import dataclass, field

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
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from app.capstones import services
from app.capstones.forms import ProjectForm
from app.capstones.item_kinds import CAPSTONE, capstone_part
from app.capstones.models import (
    CapstoneFile,
    Review,
    Submission,
    SubmissionState,
    SubmissionVersion,
)
from app.capstones.uploads import UploadRefused, allowed_extensions
from app.core.views import content_disposition, render_error
from app.extensions import csrf, db
from app.learning.views import enrolled_item, render_item

bp = Blueprint("capstones", __name__, template_folder="templates")


@dataclass
class ProjectPage:
    """What the capstone item page shows a learner with a cohort place."""

    submission: Submission  # may be a transient row: nothing is written before a first save
    deadlines: services.Deadlines
    attempts_allowed: int
    reason: str | None  # why the work cannot change now, or None
    form: ProjectForm | None
    draft_files: list[CapstoneFile] = field(default_factory=list)

    @property
    def versions(self) -> list[SubmissionVersion]:
        """Newest first."""
        return list(reversed(self.submission.history))

    @property
    def state_words(self) -> str:
        state = self.submission.state
        if state == SubmissionState.DRAFT:
            if self.submission.id is None:
                return _("Not started: nothing saved yet.")
            return _("Draft: saved, not submitted yet.")
        return {
            SubmissionState.SUBMITTED: _("Submitted: waiting for your tutor's review."),
            SubmissionState.REVISE: _(
                "Your tutor asked for a revision: improve your project and submit it again."
            ),
            SubmissionState.PASSED: _("Passed."),
            SubmissionState.NOT_PASSED: _("Not passed."),
        }[state]

    @property
    def is_late(self) -> bool:
        return self.deadlines.is_late()

    @property
    def accepted_types(self) -> str:
        return ", ".join(allowed_extensions())

    @property
    def max_file_mb(self) -> int:
        return current_app.config["CAPSTONE_MAX_FILE_BYTES"] // (1024 * 1024)

    @property
    def max_total_mb(self) -> int:
        return current_app.config["CAPSTONE_MAX_SUBMISSION_BYTES"] // (1024 * 1024)


def _load_submission(enrollment, item) -> Submission | None:
    """The learner's submission with its versions, their files and reviews, in 5 queries."""
    return db.session.scalar(
        select(Submission)
        .where(Submission.enrollment_id == enrollment.id, Submission.item_id == item.id)
        .options(
            selectinload(Submission.history).selectinload(SubmissionVersion.files),
            selectinload(Submission.history)
            .selectinload(SubmissionVersion.review)
            .selectinload(Review.files),
        )
    )


def project_page(enrollment, item, form: ProjectForm | None = None) -> ProjectPage | None:
    """The capstone part of the item page; None for other items and without a cohort place."""
    if item.kind != CAPSTONE or enrollment.cohort_id is None:
        return None
    submission = _load_submission(enrollment, item)
    if submission is None:
        # Shown, never added to the session: a page view writes nothing.
        submission = Submission(
            enrollment=enrollment,
            item=item,
            cohort=enrollment.cohort,
            state=SubmissionState.DRAFT,
            draft_text="",
            versions=0,
            history=[],
        )
    reason = services.why_not_editable(submission)
    drafts = services.draft_files(submission) if submission.id is not None else []
    if reason is None:
        if form is None:
            form = ProjectForm(
                formdata=None, text=submission.draft_text, seen_versions=submission.versions
            )
        form.remove.choices = [(f.token, f.filename) for f in drafts]
    return ProjectPage(
        submission=submission,
        deadlines=services.deadlines(submission),
        attempts_allowed=services.attempts_allowed(item),
        reason=str(reason) if reason is not None else None,
        form=form if reason is None else None,
        draft_files=drafts,
    )


def _too_large():
    return render_error(
        413,
        _(
            "What you sent is too large or has too many parts. Each file may be at most "
            "%(file_mb)s MB, and all files together at most %(total_mb)s MB. Nothing was saved.",
            file_mb=current_app.config["CAPSTONE_MAX_FILE_BYTES"] // (1024 * 1024),
            total_mb=current_app.config["CAPSTONE_MAX_SUBMISSION_BYTES"] // (1024 * 1024),
        ),
    )


def _refuse(course, enrollment, items, current, form):
    """The item page again, with the form as sent and its errors; nothing of it is kept."""
    db.session.rollback()
    project = project_page(enrollment, current, form)
    if project is not None and project.form is None:
        # The work cannot change any more (e.g. the cut-off passed meanwhile): say why.
        flash(project.reason, "error")
    return render_item(
        course, enrollment, items, current, capstone_part(enrollment, current, project)
    )


@bp.post("/learn/<course_slug>/<item_slug>/capstone")
@login_required
@csrf.exempt  # checked below, once the larger request limit is in place
def save(course_slug, item_slug):
    """Save the learner's own draft, or submit it as the next version."""
    # The app accepts 2 MB requests; this one carries files. Raise the limit before
    # anything reads the body (the CSRF check reads the form).
    request.max_content_length = current_app.config["CAPSTONE_MAX_SUBMISSION_BYTES"] + (1024 * 1024)
    course, enrollment, items, current = enrolled_item(course_slug, item_slug)
    if current.kind != CAPSTONE:
        abort(404)
    try:
        csrf.protect()
        request.files  # noqa: B018  (parse the whole body here, under the limit)
    except RequestEntityTooLarge:
        return _too_large()
    if enrollment.cohort_id is None:
        return render_error(
            403,
            _(
                "Capstone projects are reviewed by a tutor in a cohort. You take this course "
                "at your own pace, so there is no project to submit."
            ),
        )

    submission = services.find_submission(enrollment, current) or services.start_submission(
        enrollment, current
    )
    form = ProjectForm()
    form.remove.choices = [(f.token, f.filename) for f in services.draft_files(submission)]
    submitting = bool(form.submit_project.data)
    confirming = bool(form.review_submission.data) and not submitting
    if not form.validate():
        return _refuse(course, enrollment, items, current, form)
    try:
        text = form.text.data or ""
        remove = list(form.remove.data or [])
        uploads = form.uploads()
        if submitting and form.from_draft.data:
            # The confirmation page's "Yes, submit": the draft exactly as it was shown there.
            text, uploads, remove = submission.draft_text, [], []
        if submitting:
            version = services.submit(submission, text, uploads, remove, seen_versions=form.seen())
        else:
            services.save_draft(submission, text, uploads, remove)
            if confirming:
                services.check_submittable(submission)
    except (services.CapstoneError, UploadRefused) as error:
        target = form.files if isinstance(error, UploadRefused) else form.text
        target.errors = [*target.errors, str(error)]
        return _refuse(course, enrollment, items, current, form)
    if confirming:
        # Saved; submitting spends an attempt, so it is asked on a page of its own (no
        # script needed). The draft is kept whatever the learner answers.
        return render_template(
            "capstones/confirm_submit.html",
            course=course,
            item=current,
            submission=submission,
            files=services.draft_files(submission),
            attempts_allowed=services.attempts_allowed(current),
            late=services.deadlines(submission).is_late(),
            form=ProjectForm(formdata=None, seen_versions=submission.versions, from_draft="1"),
        )
    if submitting:
        flash(
            _(
                "Version %(number)s of your project was submitted. Your tutor has been told.",
                number=version.number,
            ),
            "success",
        )
    else:
        flash(_("Your draft was saved."), "success")
    return redirect(
        url_for("learning.item", course_slug=course.slug, item_slug=current.slug, _anchor="project")
    )


@bp.get("/capstones/files/<file_token>")
@login_required
def download(file_token):
    """A project or feedback file, as an attachment, to those who may read the project."""
    stored = services.file_by_token(file_token) or abort(404)
    if not stored.submission.can_read(current_user):
        abort(403)
    response = Response(stored.data, content_type=stored.content_type)
    response.headers["Content-Disposition"] = content_disposition("attachment", stored.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
