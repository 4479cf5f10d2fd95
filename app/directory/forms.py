"""The form a coordinator lists a course with (the service checks every value again)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import NumberRange, Optional

from app.core.i18n import LANGUAGE_NAMES
from app.directory.models import Modality
from app.directory.services import HOURS_MAX
from app.observatory.vocabulary import THEMES

MODALITIES = {
    Modality.SELF_PACED: _l("Online, self-paced"),
    Modality.TUTOR_LED: _l("Online, with a tutor"),
    Modality.BLENDED: _l("Blended (online and in person)"),
    Modality.MOBILE: _l("By mobile phone or SMS"),
}


class CourseForm(FlaskForm):
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    modality = SelectField(_l("Modality"), choices=list(MODALITIES.items()))
    language = SelectField(_l("Language"), choices=list(LANGUAGE_NAMES.items()))
    theme = SelectField(_l("Theme"), choices=list(THEMES.items()))
    hours = IntegerField(_l("Hours"), validators=[Optional(), NumberRange(1, HOURS_MAX)])
    free = BooleanField(_l("Free of charge"))
    url = StringField(_l("Web address"))
    submit = SubmitField(_l("Save the course"))
