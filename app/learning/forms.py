"""The learning area's forms: more attempts at a quiz for one learner."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from app.core.forms import strip_filter
from app.learning.models import GRANT_MAX_ATTEMPTS, GRANT_REASON_MAX


def no_control_characters(form, field):
    from app.learning.services import has_control_characters

    if field.data and has_control_characters(field.data):
        raise ValidationError(_l("Use plain text: no control characters."))


class GrantAttemptsForm(FlaskForm):
    """How many more attempts at which quiz, and why (kept beside who gave them and when)."""

    quiz = SelectField(_l("Quiz"), coerce=int, validators=[InputRequired()])
    attempts = IntegerField(
        _l("More attempts"),
        default=1,
        validators=[
            InputRequired(message=_l("Give a number of attempts.")),
            NumberRange(
                min=1,
                max=GRANT_MAX_ATTEMPTS,
                message=_l("Give between 1 and %(max)s attempts.", max=GRANT_MAX_ATTEMPTS),
            ),
        ],
        render_kw={"min": 1, "max": GRANT_MAX_ATTEMPTS, "inputmode": "numeric"},
    )
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_filter],
        validators=[
            DataRequired(message=_l("Give a reason.")),
            Length(max=GRANT_REASON_MAX),
            no_control_characters,
        ],
        description=_l(
            "Kept with the grant, beside your name and the date. The learner does not see it."
        ),
        render_kw={"maxlength": GRANT_REASON_MAX, "rows": 3},
    )
    # The grant number this page expects to make: a form sent twice gives once.
    number = HiddenField()
    submit = SubmitField(_l("Give the attempts"))

    @property
    def expected_number(self) -> int:
        try:
            return int(self.number.data)
        except (TypeError, ValueError):
            return 0  # not from our page: refused as out of date
