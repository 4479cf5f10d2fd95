"""How numbers with units read in the reader's language: one format for file sizes."""

from babel.numbers import format_decimal
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

KILO = 1024


def filesize(size: int | float | None, locale: str | None = None) -> str:
    """A byte count as people read it, in the reader's locale: "21,9 KB" in Spanish, "21.9 KB"
    in English; "512 bytes", "75,3 KB", "225 KB", "1,2 MB", "3 GB".

    Units are binary (1 KB = 1,024 bytes), as operating systems show files; one decimal
    below 100 units (none when it is 0), none from 100 up. The Jinja filter `filesize`."""
    locale = locale or str(get_locale() or "en")
    size = max(int(size or 0), 0)
    if size < KILO:
        return ngettext(
            "%(count)s byte", "%(count)s bytes", size, count=format_decimal(size, locale=locale)
        )
    value, unit = size / KILO, 0
    while value >= KILO and unit < 2:
        value, unit = value / KILO, unit + 1
    # Round first, so that 1,023.96 KB reads "1 MB" rather than "1,024 KB".
    if round(value, 1) >= KILO and unit < 2:
        value, unit = value / KILO, unit + 1
    pattern = "#,##0.#" if value < 100 else "#,##0"
    number = format_decimal(value, format=pattern, locale=locale)
    if unit == 0:
        return _("%(num)s KB", num=number)
    if unit == 1:
        return _("%(num)s MB", num=number)
    return _("%(num)s GB", num=number)
