"""Forms of the coordinators area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from app.core.forms import strip_filter


class GrantCoordinatorForm(FlaskForm):
    email = EmailField(
        _l("Email of a person registered with this institution"),
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[strip_filter],
    )
    submit = SubmitField(_l("Make coordinator"))


class EnrolPeopleForm(FlaskForm):
    people = SelectMultipleField(_l("People"), coerce=int, choices=[], validate_choice=False)
    place = SelectField(_l("Course and cohort"), choices=[])
    submit = SubmitField(_l("Enrol the people chosen"))


class EnrolPersonForm(FlaskForm):
    place = SelectField(_l("Course and cohort"), validators=[DataRequired()], choices=[])
    submit = SubmitField(_l("Enrol"))
