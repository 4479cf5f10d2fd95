"""Forms of the tutors' pages."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.core.forms import strip_filter

SUBJECT_MAX = 150
MESSAGE_MAX = 5000

# A line break in a subject would end the mail header early (header injection).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(form, field):
    if _CONTROL.search(field.data or ""):
        raise ValidationError(_l("The subject must fit on one line."))


def _unix_newlines(value):
    """Browsers send CRLF line breaks; count (and send) each as one character, as typed."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class CohortMessageForm(FlaskForm):
    """A plain-text message from a tutor to every learner of a cohort."""

    subject = StringField(
        _l("Subject"),
        validators=[
            DataRequired(message=_l("Write a subject.")),
            Length(max=SUBJECT_MAX, message=_l("The subject can have at most %(max)d characters.")),
            _one_line,
        ],
        filters=[strip_filter],
        render_kw={"maxlength": SUBJECT_MAX},
    )
    message = TextAreaField(
        _l("Message"),
        validators=[
            DataRequired(message=_l("Write a message.")),
            Length(max=MESSAGE_MAX, message=_l("The message can have at most %(max)d characters.")),
        ],
        filters=[_unix_newlines, strip_filter],
        description=_l("Plain text. Each learner receives it by email, in a separate message."),
        render_kw={"rows": 12, "maxlength": MESSAGE_MAX},
    )
    submit = SubmitField(_l("Send to the cohort"))
