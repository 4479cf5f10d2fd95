"""Forms of the discussions: a new thread, a reply, a report, a moderator's action."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.forms import strip_filter
from app.discussions.models import ThreadKind
from app.discussions.services import POST_MAX, TITLE_MAX

REASON_MAX = 500


def _unix_newlines(value):
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class _WithFiles:
    def uploads(self) -> list[tuple[str, bytes]]:
        """(name as sent, bytes) of every file part that carried a file."""
        return [
            (upload.filename, upload.read())
            for upload in self.files.data or []
            if getattr(upload, "filename", None)
        ]


class ThreadForm(_WithFiles, FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Write a title.")),
            Length(max=TITLE_MAX, message=_l("A title has at most %(max)d characters.")),
        ],
        filters=[strip_filter],
        render_kw={"maxlength": TITLE_MAX},
    )
    kind = RadioField(
        _l("Kind"),
        choices=[
            (ThreadKind.DISCUSSION.value, _l("A conversation")),
            (ThreadKind.QUESTION.value, _l("A question (someone marks the answer)")),
        ],
        default=ThreadKind.DISCUSSION.value,
    )
    body = TextAreaField(
        _l("Message"),
        validators=[
            DataRequired(message=_l("Write a message.")),
            Length(max=POST_MAX, message=_l("A message has at most %(max)d characters.")),
        ],
        filters=[_unix_newlines],
        description=_l("Markdown: *italics*, **bold**, [a link](https://example.org), lists."),
        render_kw={"rows": 6},
    )
    files = MultipleFileField(_l("Pictures or PDF files (optional)"))
    submit = SubmitField(_l("Post"))


class QuestionForm(ThreadForm):
    """A private question to the cohort's tutors: no kind to choose."""

    kind = None
    submit = SubmitField(_l("Send to the tutors"))


class ReplyForm(_WithFiles, FlaskForm):
    body = TextAreaField(
        _l("Your reply"),
        validators=[
            DataRequired(message=_l("Write a message.")),
            Length(max=POST_MAX, message=_l("A message has at most %(max)d characters.")),
        ],
        filters=[_unix_newlines],
        description=_l("Markdown: *italics*, **bold**, [a link](https://example.org), lists."),
        render_kw={"rows": 5},
    )
    files = MultipleFileField(_l("Pictures or PDF files (optional)"))
    submit = SubmitField(_l("Reply"))


def _reason_field(label) -> StringField:
    """A one-line reason, required and bounded (reports, moderation, locks)."""
    return StringField(
        label,
        validators=[
            DataRequired(message=_l("Say why.")),
            Length(max=REASON_MAX, message=_l("At most %(max)d characters.")),
        ],
        filters=[strip_filter],
        render_kw={"maxlength": REASON_MAX},
    )


class ReportForm(FlaskForm):
    reason = _reason_field(_l("Why should a moderator look at this message?"))
    submit = SubmitField(_l("Report"))


class ModerationForm(FlaskForm):
    action = RadioField(
        _l("Action"),
        choices=[
            ("hide", _l("Hide")),
            ("show", _l("Show again")),
            ("remove", _l("Remove for good")),
            ("dismiss", _l("Leave as it is")),
        ],
        validators=[DataRequired(message=_l("Choose what to do."))],
    )
    reason = _reason_field(_l("Reason (kept in the moderation record)"))
    submit = SubmitField(_l("Apply"))


class LockForm(FlaskForm):
    reason = _reason_field(_l("Reason (kept in the moderation record)"))
    submit = SubmitField(_l("Apply"))
