"""Forms of the tutors' capstone pages: the review against the rubric, an extension."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.capstones.models import Decision
from app.capstones.services import COMMENT_MAX
from app.core.forms import strip_filter


def _unix_newlines(value):
    """Browsers send CRLF line breaks; count each as one character, as typed."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class ReviewForm(FlaskForm):
    """The fields every review has; `review_form` adds one radio group per rubric criterion."""

    review_token = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    comment = TextAreaField(
        _l("Overall comment"),
        validators=[
            Length(max=COMMENT_MAX, message=_l("The comment can have at most %(max)d characters."))
        ],
        filters=[_unix_newlines, strip_filter],
        description=_l("The learner reads it with the scores."),
        render_kw={"rows": 8, "maxlength": COMMENT_MAX},
    )
    feedback = FileField(
        _l("Feedback file (optional)"),
        description=_l("For example the project with your annotations."),
    )
    decision = RadioField(
        _l("Decision"),
        # All three are accepted here; the page offers "revise" only while attempts remain
        # and the service refuses it, with its own message, when none is left.
        choices=[
            (Decision.PASS.value, _l("Pass")),
            (Decision.REVISE.value, _l("Ask for a revision")),
            (Decision.NOT_PASSED.value, _l("Not passed")),
        ],
        validators=[InputRequired(message=_l("Choose a decision."))],
    )
    submit = SubmitField(_l("Save the review"))

    def level_fields(self):
        """The radio groups of the criteria, in rubric order."""
        return [self[f"level_{i}"] for i in range(self.criteria_count)]

    def levels(self) -> list[int]:
        return [int(f.data) for f in self.level_fields()]


def review_form(criteria: list[dict], **kwargs) -> ReviewForm:
    """A review form for a rubric: a required choice of level for each criterion.

    Labels are drawn by the template from the rubric itself (in the course's languages).
    """

    class Form(ReviewForm):
        criteria_count = len(criteria)

    for i, criterion in enumerate(criteria):
        setattr(
            Form,
            f"level_{i}",
            RadioField(
                _l("Criterion %(number)s", number=i + 1),
                choices=[(str(j), str(j)) for j in range(len(criterion["levels"]))],
                validators=[InputRequired(message=_l("Choose a level for this criterion."))],
            ),
        )
    return Form(**kwargs)


class ExtensionForm(FlaskForm):
    """A later deadline for one learner; empty takes the extension back."""

    until = DateField(
        _l("Extended until"),
        validators=[Optional()],
        description=_l("Leave empty to remove the extension."),
    )
    submit = SubmitField(_l("Save the extension"))
