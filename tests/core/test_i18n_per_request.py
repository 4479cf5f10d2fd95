"""The locale, catalog and date formats looked up once per request (app/core/i18n.py) say
exactly what Flask-Babel's own calls say, and follow `force_locale()` inside a request."""

from datetime import UTC, date, datetime

import flask_babel
import pytest
from flask import render_template_string

from app.core.i18n import format_date, format_datetime, translations

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
                # The `dateformat` filter: a datetime's day where the reader is, or a date.
                for width in ("short", "medium", "long", "full", "EEEE d MMM y"):
                    for value in (moment, moment.date()):
                        assert format_date(value, width) == flask_babel.format_date(value, width), (
                            language,
                            zone,
                            value,
                            width,
                        )
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


def test_the_language_is_the_locales_and_follows_force_locale(app):
    """`current_language()` (kept once per request and locale) says what `str(get_locale())`
    says: the request's, the forced one inside `force_locale()`, the request's again after;
    localised texts and a season's name follow it."""
    from app.core.i18n import current_language, localise, reader_language

    texts = {"es": "Hola", "pt": "Olá", "en": "Hello"}
    with app.test_request_context(headers={"Accept-Language": "pt"}):
        for _ in range(2):  # the second time from what was kept
            assert current_language() == str(flask_babel.get_locale()) == "pt"
            assert reader_language() == "pt" and localise(texts, "es") == "Olá"
        with flask_babel.force_locale("en"):
            assert current_language() == reader_language() == "en"
            assert localise(texts, "es") == "Hello"
        assert current_language() == "pt" and localise(texts, "es") == "Olá"
    with app.app_context():
        assert current_language() == str(flask_babel.get_locale())


def test_outside_a_request_the_default_language_is_used(app):
    with app.app_context():
        assert format_date(date(2026, 12, 3), "long") == flask_babel.format_date(
            date(2026, 12, 3), "long"
        )
        assert translations().gettext("Sign in") == flask_babel.gettext("Sign in")
        assert format_datetime(MOMENTS[2], "medium") == flask_babel.format_datetime(
            MOMENTS[2], "medium"
        )


TEXTS = [
    "Sign in",  # translated
    "A text no catalog has",
    "100%% done",  # a format string even without variables
    "<em>Terms</em> & conditions",  # markup without variables: kept as markup when escaping
    "<b>%(name)s</b>",  # markup in the message, a variable to escape
    "%(done)s of %(num)s",
]


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_templates_gettext_says_what_jinjas_new_style_gettext_says(app, language):
    """Aula's `_` (each catalog's answers kept) against Jinja's own new-style gettext over the
    same catalog, without and with autoescape, twice over (the second from the kept answers)."""
    from jinja2 import Environment

    calls = "".join(
        f"[{{{{ _({text!r}{', name=evil' if 'name' in text else ''}"
        f"{', done=2, num=3' if 'done)' in text else ''}) ~ '&' }}}}]"
        for text in TEXTS
    )
    with app.test_request_context(headers={"Accept-Language": language}):
        for autoescape in (False, True):
            jinja = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)  # noqa: S701
            jinja.install_gettext_callables(
                gettext=translations().ugettext, ngettext=translations().ungettext, newstyle=True
            )
            expected = jinja.from_string(calls).render(evil="<script>")
            ours = app.jinja_env.overlay(autoescape=autoescape).from_string(calls)
            for _ in range(2):
                assert ours.render(evil="<script>") == expected, autoescape
            assert ("&lt;script&gt;" in expected) == autoescape
            assert "<em>Terms</em>" in expected


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_patterns_written_directly_say_what_babel_says(language):
    """Every width of dates and date-times, for every month, weekday and hour (AM and PM,
    midnight and noon), one-digit and two-digit days, minutes and seconds."""
    from babel import Locale
    from babel import dates as babel_dates

    from app.core.i18n import _date_writer, _datetime_writer

    locale = Locale.parse(language)
    values = [
        datetime(year, month, day, hour, minute, second)
        for year, month, day in [(2026, m, 1 + 2 * m) for m in range(1, 13)] + [(2009, 2, 28)]
        for hour, minute, second in [(0, 0, 0), (9, 5, 7), (12, 30, 59), (23, 59, 1)]
    ]
    for width in ("short", "medium", "long", "full"):
        glued = babel_dates.get_datetime_format(width, locale=locale)
        pattern = babel_dates.parse_pattern(
            glued.replace("{0}", babel_dates.get_time_format(width, locale=locale).pattern).replace(
                "{1}", babel_dates.get_date_format(width, locale=locale).pattern
            )
        )
        date_pattern = babel_dates.get_date_format(width, locale=locale)
        for value in values:
            assert _datetime_writer(locale, width)(value) == pattern.apply(value, locale)
            assert _date_writer(locale, width)(value.date()) == date_pattern.apply(
                value.date(), locale
            )
    # The widths pages use are written directly, not handed back to Babel.
    assert _datetime_writer(locale, "medium").__name__ == "write"
    assert _date_writer(locale, "long").__name__ == "write"
