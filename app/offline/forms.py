"""The offline area's forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField


class DataSaverForm(FlaskForm):
    on = BooleanField(
        _l("Data saver: show a link with the picture's size instead of each picture in lessons"),
    )
    submit = SubmitField(_l("Save my preference"))
