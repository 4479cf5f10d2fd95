"""Forms of the privacy pages: deleting an account in two steps."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=128)],
        description=_l("Type it again: we check it is you before anything is deleted."),
    )
    submit = SubmitField(_l("Continue"))


class ConfirmDeletionForm(FlaskForm):
    # Signed proof that the password was typed a moment ago, for this account as it is.
    confirmation = HiddenField(validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Delete my account and my data for good"))
