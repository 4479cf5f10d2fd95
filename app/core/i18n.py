"""Language and time-zone selection, and localised country names."""

import re
import unicodedata
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import flask_babel
from babel import Locale, default_locale
from babel import dates as babel_dates
from flask import current_app, has_app_context, has_request_context, request, session
from flask.globals import _cv_app
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape

LANGUAGE_NAMES = {"es": "Español", "pt": "Português", "en": "English"}

# Countries of the network (DOMAIN.md), listed first in every country picker.
NETWORK_COUNTRIES = (
    "AR", "BO", "BR", "CL", "CO", "CR", "DO", "EC", "SV", "GT",
    "HN", "JM", "MX", "PA", "PY", "PE", "ES", "UY",
)  # fmt: skip

# A sensible default time zone for a new account, by country.
COUNTRY_TIMEZONES = {
    "AR": "America/Argentina/Buenos_Aires", "BO": "America/La_Paz", "BR": "America/Sao_Paulo",
    "CL": "America/Santiago", "CO": "America/Bogota", "CR": "America/Costa_Rica",
    "DO": "America/Santo_Domingo", "EC": "America/Guayaquil", "SV": "America/El_Salvador",
    "GT": "America/Guatemala", "HN": "America/Tegucigalpa", "JM": "America/Jamaica",
    "MX": "America/Mexico_City", "PA": "America/Panama", "PY": "America/Asuncion",
    "PE": "America/Lima", "ES": "Europe/Madrid", "UY": "America/Montevideo",
}  # fmt: skip


def language_of_country(code: str | None) -> str:
    """The platform language people of that country most likely read: its first official
    language that the platform speaks (Spanish for Colombia, Portuguese for Brazil, English
    for Jamaica), else English."""
    from babel.languages import get_official_languages

    for language in get_official_languages(code or "", de_facto=True):
        if language in LANGUAGE_NAMES:
            return language
    return "en"


def select_locale() -> str:
    """The user's preference, else the session's switcher, else Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Command line and jobs: the operator's shell language when we speak it.
        shell = (default_locale() or "").split("_")[0]
        return shell if shell in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def select_timezone() -> str | None:
    """The signed-in user's time zone; UTC for everyone else."""
    if has_request_context() and current_user.is_authenticated:
        return current_user.timezone
    return None


# Two-letter codes in Babel's list that are not countries (groupings, pseudo-locales).
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


@lru_cache(maxsize=8)
def _country_names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    # Two-letter codes only: Babel also lists regions such as "419" (Latin America).
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


def country_name(code: str | None, locale: str) -> str:
    """The country's name in the given language ('' when unknown)."""
    if not code:
        return ""
    return _country_names(locale).get(code, code)


def fold(text: str) -> str:
    """Text as people compare it: accents and case removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def collation_key(text: str) -> tuple[str, str]:
    """Sort key for names as a dictionary orders them: accents and case count only on a tie
    ("Bélgica" before "Bután", "Ísland" among the I's)."""
    return fold(text), text


def country_choices(locale: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Country options grouped for a <select>: the network's countries, then all others."""
    names = _country_names(locale)
    network = sorted(
        ((c, names[c]) for c in NETWORK_COUNTRIES), key=lambda item: collation_key(item[1])
    )
    others = sorted(
        ((c, n) for c, n in names.items() if c not in NETWORK_COUNTRIES),
        key=lambda item: collation_key(item[1]),
    )
    return [("network", network), ("others", others)]


def is_country(code: str) -> bool:
    """Whether the code names a country the pickers offer."""
    return code in _country_names("en")


@lru_cache(maxsize=1)
def timezone_choices() -> list[str]:
    """The time zones offered in a profile: the network's, then UTC."""
    return sorted(set(COUNTRY_TIMEZONES.values()) | {"Atlantic/Canary", "UTC"})


class Localised(str):
    """Text in the reader's language, or in the fallback language (then `fallback` is set)."""

    language: str
    fallback: bool


def reader_language() -> str:
    """The language pages are shown in now (the default one outside a request)."""
    return (current_language() if has_app_context() else None) or "es"


def localise(texts: dict[str, str] | None, main_language: str, locale: str | None = None):
    """Pick the text for the current language, falling back to the main language."""
    locale = locale or current_language()
    texts = texts or {}
    if texts.get(locale):
        chosen, language = texts[locale], locale
    else:
        language = main_language if texts.get(main_language) else next(iter(texts), main_language)
        chosen = texts.get(language, "")
    result = Localised(chosen)
    result.language = language
    result.fallback = language != locale
    return result


def text_html(value: Localised) -> Markup:
    """`value` as HTML, a fallback marked with its language: what the templates' `text` macro
    writes (templates/macros.html calls this), for Python that writes one text many times or
    keeps it written."""
    if value.fallback:
        return Markup('<span lang="{}">{}</span>').format(value.language, value)
    return escape(value)


# Looked up once per request ----------------------------------------------------------------
#
# Flask-Babel finds the locale, time zone and translations again on every call, through three
# context lookups each: 10 to 20 microseconds, which a page of 50 rows (a date, a course title
# and a few translated words each) pays hundreds of times. These read what Flask-Babel keeps for
# the request (`g._flask_babel`) once, and follow it: inside `force_locale()` (mail in the
# reader's language sent during a request) Flask-Babel puts another Locale object there, so
# anything cached for the request's own locale is not used.


def _babel_context():
    """Flask-Babel's namespace for this request (or app context), None outside one."""
    app_context = _cv_app.get(None)
    if app_context is None:
        return None
    found = app_context.g.__dict__.get("_flask_babel")
    return found if found is not None else flask_babel._get_current_context()


def current_locale():
    """The babel.Locale pages are shown in now (None outside an app context)."""
    context = _babel_context()
    found = getattr(context, "babel_locale", None)
    return found if found is not None else flask_babel.get_locale()


def current_language() -> str | None:
    """The code of `current_locale()` ("es", "pt_BR"; None without one), written once per
    request and locale: babel writes it afresh on each `str()`, and a page asks dozens of
    times (each title localised, each kept part's key)."""
    context = _babel_context()
    locale = getattr(context, "babel_locale", None)
    if locale is None:
        found = current_locale()  # Flask-Babel finds it and keeps it for the request
        return str(found) if found is not None else None
    cached = getattr(context, "aula_language", None)
    if cached is None or cached[0] is not locale:
        cached = context.aula_language = (locale, str(locale))
    return cached[1]


def translations():
    """The gettext catalog of the current locale, found once per request and locale."""
    context = _babel_context()
    if context is None:
        return flask_babel.get_translations()
    locale = getattr(context, "babel_locale", None)
    cached = getattr(context, "aula_translations", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    found = flask_babel.get_translations()
    context.aula_translations = (context.babel_locale, found)
    return found


def install_template_gettext(app) -> None:
    """Templates' _(), gettext() and ngettext() through `translations()`."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )
    # `_` and `gettext` straight to the memo below (Jinja's `_` would look `gettext` up again).
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)


@pass_context
def _template_gettext(__context, __string, **variables):
    """Jinja's new-style gettext (the text is a format string, even without variables; under
    autoescape the translation is markup and the variables are escaped), with each catalog's
    answer for a text without variables kept on the catalog: a page's few dozen labels, and a
    table's "Late" on every row, cost a lookup instead of a translation and a formatting."""
    catalog = translations()
    autoescape = __context.eval_ctx.autoescape
    if variables:
        found = catalog.ugettext(__string)
        return (Markup(found) if autoescape else found) % variables  # noqa: S704  (our catalogs)
    memo = catalog.__dict__.get("_aula_template_texts")
    if memo is None:
        memo = catalog.__dict__.setdefault("_aula_template_texts", {})
    key = (__string, autoescape)
    found = memo.get(key)
    if found is None:
        translated = catalog.ugettext(__string)
        found = memo[key] = (Markup(translated) if autoescape else translated) % {}  # noqa: S704
    return found


@lru_cache(maxsize=64)
def _datetime_writer(locale: Locale, width: str):
    """The locale's date-and-time pattern of that width as one parsed pattern (what
    babel.dates.format_datetime assembles from three patterns on every call), as a writer."""
    glue = babel_dates.get_datetime_format(width, locale=locale)
    time_part = babel_dates.get_time_format(width, locale=locale).pattern
    date_part = babel_dates.get_date_format(width, locale=locale).pattern
    pattern = glue.replace("{0}", time_part).replace("{1}", date_part)
    return _writer(babel_dates.parse_pattern(pattern), locale)


@lru_cache(maxsize=64)
def _date_writer(locale: Locale, width: str):
    return _writer(babel_dates.get_date_format(width, locale=locale), locale)


# Babel writes a pattern by looking each field up through its DateTimeFormat on every call
# (4.2 µs for "d MMM y, H:mm:ss"). The fields of the network's three languages' standard
# patterns are written here directly: numbers as Babel pads them, and names (months,
# weekdays, AM/PM) from tables Babel itself fills once per locale. A pattern with any other
# field (a time zone's name, in the long and full times) is written by Babel.
_NUMBERS = {
    "d": lambda v: str(v.day),
    "dd": lambda v: f"{v.day:02d}",
    "M": lambda v: str(v.month),
    "MM": lambda v: f"{v.month:02d}",
    "y": lambda v: str(v.year),
    "yy": lambda v: f"{v.year % 100:02d}",
    "H": lambda v: str(v.hour),
    "HH": lambda v: f"{v.hour:02d}",
    "h": lambda v: str(v.hour % 12 or 12),
    "m": lambda v: str(v.minute),
    "mm": lambda v: f"{v.minute:02d}",
    "s": lambda v: str(v.second),
    "ss": lambda v: f"{v.second:02d}",
}
# field -> (what picks the name, the values that show every name)
_NAMES = {
    "MMM": (lambda v: v.month, [datetime(2001, month, 1) for month in range(1, 13)]),
    "MMMM": (lambda v: v.month, [datetime(2001, month, 1) for month in range(1, 13)]),
    "EEEE": (lambda v: v.weekday(), [datetime(2001, 1, day) for day in range(1, 8)]),
    "a": (lambda v: v.hour >= 12, [datetime(2001, 1, 1, 1), datetime(2001, 1, 1, 13)]),
}
_FIELD = re.compile(r"%\((\w+)\)s")


def _writer(pattern, locale: Locale):
    """A function writing a date or datetime as `pattern.apply(value, locale)` does."""
    fields = _FIELD.findall(pattern.format)
    if not all(field in _NUMBERS or field in _NAMES for field in fields):
        return lambda value: pattern.apply(value, locale)
    names = {}
    for field in set(fields) & _NAMES.keys():
        key, samples = _NAMES[field]
        names[field] = {key(v): babel_dates.DateTimeFormat(v, locale)[field] for v in samples}
    steps = [
        (field, _NUMBERS.get(field), names.get(field), _NAMES.get(field, (None,))[0])
        for field in dict.fromkeys(fields)
    ]

    def write(value) -> str:
        return pattern.format % {
            field: number(value) if number else table[key(value)]
            for field, number, table, key in steps
        }

    return write


@lru_cache(maxsize=64)
def _zoneinfo(name: str):
    """The standard library's zone of that name: converting to it costs a tenth of what
    pytz's (Flask-Babel's) costs, and CLDR names it the same way."""
    try:
        return UTC if name == "UTC" else ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _dates_context(context):
    """(locale, time zone) to write dates in now, found once per request, locale and zone."""
    locale = getattr(context, "babel_locale", None)
    tzinfo = getattr(context, "babel_tzinfo", None)
    cached = getattr(context, "aula_dates", None)
    if cached is not None and cached[0] is locale and cached[1] is tzinfo and locale is not None:
        return cached[2], cached[3]
    locale, tzinfo = current_locale(), flask_babel.get_timezone()
    name = getattr(tzinfo, "zone", None)
    zone = (_zoneinfo(name) if name else None) or tzinfo
    if context is not None:
        context.aula_dates = (context.babel_locale, context.babel_tzinfo, locale, zone)
    return locale, zone


def reader_dates():
    """(babel Locale, time zone) the reader's dates are written in now."""
    return _dates_context(_babel_context())


def _in_zone(value: datetime, zone) -> datetime:
    """A datetime (UTC when naive) in the reader's zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone)
    if hasattr(zone, "normalize"):  # pytz, for a zone the standard library lacks
        local = zone.normalize(local)
    return local


def format_datetime(value, width: str = "medium") -> str:
    """A UTC datetime in the reader's time zone and language, as Flask-Babel's
    `datetimeformat` filter writes it ('short', 'medium', 'long' or 'full'; another value is
    a CLDR pattern)."""
    locale, zone = _dates_context(_babel_context())
    local = _in_zone(value, zone)
    if width not in ("short", "medium", "long", "full"):
        return babel_dates.format_datetime(local, width, tzinfo=zone, locale=locale)
    return _datetime_writer(locale, width)(local)


def format_date(value, width: str = "medium") -> str:
    """A date in the reader's language (a datetime: its day in the reader's time zone), as
    Flask-Babel's `dateformat` filter writes it."""
    locale, zone = _dates_context(_babel_context())
    if isinstance(value, datetime):
        value = _in_zone(value, zone)
    if width not in ("short", "medium", "long", "full"):
        return babel_dates.format_date(value, width, locale=locale)
    return _date_writer(locale, width)(value)
