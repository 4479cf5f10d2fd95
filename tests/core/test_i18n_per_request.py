"""The locale, catalog and date formats looked up once per request (app/core/i18n.py) say
exactly what Flask-Babel's own calls say, and follow `force_locale()` inside a request."""

from datetime import UTC, datetime

import flask_babel
import pytest
from flask import render_template_string

from app.core.i18n import format_datetime, translations

MOMENTS = [
    datetime(2026, 1, 5, 3, 7, 9, tzinfo=UTC),  # the day before in the Americas
    datetime(2026, 7, 31, 23, 59, 59),  # naive: read as UTC
    datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC),
]


@pytest.mark.parametrize("language", ["es", "pt", "en"])
@pytest.mark.parametrize("zone", ["UTC", "America/Sao_Paulo", "Europe/Madrid", "America/Bogota"])
def test_dates_read_as_flask_babel_writes_them(app, language, zone):
    babel = flask_babel.get_babel(app)
    chosen = babel.timezone_selector
    with app.test_request_context(headers={"Accept-Language": language}):
        babel.timezone_selector = lambda: zone
        try:
            for moment in MOMENTS:
                for width in ("short", "medium", "long", "full", "d MMM y HH:mm"):
                    assert format_datetime(moment, width) == flask_babel.format_datetime(
                        moment, width
                    ), (language, zone, moment, width)
        finally:
            babel.timezone_selector = chosen


def test_templates_translate_with_the_requests_catalog_and_follow_force_locale(app):
    template = '{{ _("Sign in") }} {{ ngettext("%(num)s unread", "%(num)s unread", 2) }}'
    with app.test_request_context(headers={"Accept-Language": "pt"}):
        assert render_template_string(template) == "Entrar 2 não lidas"
        # Mail written in another language during the same request (Flask-Babel's way).
        with flask_babel.force_locale("es"):
            assert render_template_string(template) == "Iniciar sesión 2 sin leer"
            assert translations().gettext("Sign in") == "Iniciar sesión"
            assert format_datetime(MOMENTS[2], "long").startswith("3 de diciembre de 2026")
        assert render_template_string(template) == "Entrar 2 não lidas"
        assert format_datetime(MOMENTS[2], "long").startswith("3 de dezembro de 2026")


def test_outside_a_request_the_default_language_is_used(app):
    with app.app_context():
        assert translations().gettext("Sign in") == flask_babel.gettext("Sign in")
        assert format_datetime(MOMENTS[2], "medium") == flask_babel.format_datetime(
            MOMENTS[2], "medium"
        )
