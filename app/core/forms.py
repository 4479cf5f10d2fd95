"""Validators and form helpers every area's forms use."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import HiddenField, SelectField
from wtforms.validators import ValidationError

from app.core.i18n import LANGUAGE_NAMES

# Characters that have no place in a person's or an organisation's name, and that would
# only be there to inject markup or formulas into pages, mails, CSV exports or certificates.
_FORBIDDEN_IN_NAMES = re.compile(r"[<>{}\[\]\\|\"`=^~*#$%@;]|[\x00-\x1f\x7f]")


class PlainName:
    """A name as printed on certificates: letters required, no markup or control characters."""

    def __call__(self, form, field):
        value = (field.data or "").strip()
        if _FORBIDDEN_IN_NAMES.search(value):
            raise ValidationError(
                _l("Use letters, spaces, apostrophes, hyphens and full stops only.")
            )
        if value and not any(ch.isalpha() for ch in value):
            raise ValidationError(_l("A name needs at least one letter."))


def csrf_field() -> Markup:
    """The CSRF field of a one-button form (the layout's sign-out and language switcher, enrol,
    join...): the hidden input alone, as a form class renders it, without building a form
    object on every page."""
    return Markup('<input name="csrf_token" type="hidden" value="%s">') % generate_csrf()


def strip_filter(value):
    """Trim surrounding whitespace from text input."""
    return value.strip() if isinstance(value, str) else value


class LanguageForm(FlaskForm):
    """The language switcher in every page's header."""

    locale = SelectField(_l("Language"), choices=list(LANGUAGE_NAMES.items()))
    next = HiddenField()


class ActionForm(FlaskForm):
    """A one-button form (enrol, mark as done): only the CSRF token."""
