"""The learner's project form: the text, new files, draft files to drop, save or submit."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    MultipleFileField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.capstones.services import TEXT_MAX


class ProjectForm(FlaskForm):
    """The buttons post the same form: "Save draft" keeps it; "Submit to my tutor…" keeps it
    and asks for confirmation (a page of its own: submitting spends an attempt); that page's
    "Yes, submit" sends the saved draft (`from_draft`) as the next version."""

    text = TextAreaField(
        _l("Your project"),
        validators=[Length(max=TEXT_MAX)],
        description=_l("Write your project here, attach it as files, or both."),
    )
    files = MultipleFileField(_l("Add files"))
    remove = SelectMultipleField(
        _l("Remove from the draft"),
        choices=[],  # the draft's files, set by the view
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # a file already gone (sent by another tab) is just skipped
    )
    # How many versions the page showed: a second click on "Submit" sends the same number,
    # and the service answers it with the version the first click made.
    seen_versions = HiddenField()
    # Set by the confirmation page: submit the draft as saved (its text and files).
    from_draft = HiddenField()
    save_draft = SubmitField(_l("Save draft"))
    review_submission = SubmitField(_l("Submit to my tutor…"))
    submit_project = SubmitField(_l("Submit"))

    def seen(self) -> int | None:
        try:
            return int(self.seen_versions.data)
        except (TypeError, ValueError):
            return None

    def uploads(self) -> list[tuple[str, bytes]]:
        """(name as sent, bytes) of every file part that carried a file."""
        return [
            (upload.filename, upload.read())
            for upload in self.files.data or []
            if getattr(upload, "filename", None)
        ]
