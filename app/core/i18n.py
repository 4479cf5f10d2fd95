"""Language and time-zone selection, and localised country names."""

import unicodedata
from functools import lru_cache

from babel import Locale, default_locale
from flask import current_app, has_app_context, has_request_context, request, session
from flask_login import current_user

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
    from flask_babel import get_locale

    locale = get_locale() if has_app_context() else None  # also inside force_locale()
    return str(locale) if locale else "es"


def localise(texts: dict[str, str] | None, main_language: str, locale: str | None = None):
    """Pick the text for the current language, falling back to the main language."""
    from flask_babel import get_locale

    locale = locale or str(get_locale())
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
