"""Certificate designs (folders under CERTIFICATE_DESIGNS) and rendering one to PDF.

A design is `certificate.html` (a Jinja template), `certificate.css`, `design.toml` and
`assets/`; see certificates/README.md. `default` serves every course without a folder of its
own (named after the course's slug). Designs are read once per process: restart workers after
changing one.
"""

import hashlib
import io
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import segno
from babel.dates import format_interval
from flask import current_app
from flask_babel import force_locale, format_date, get_locale
from jinja2 import Template

from app.core.files import read_picture
from app.core.pdf import render_pdf

DEFAULT = "default"
MAX_DESIGN_BYTES = 5 * 1024 * 1024


class DesignError(Exception):
    """A design folder is missing or unusable; the message says what to fix."""


@dataclass(frozen=True)
class Design:
    name: str
    version: str  # the declared version and a checksum of the files: "1+3fa94c0e"
    source: str  # certificate.html
    files: dict[str, bytes] = field(repr=False)  # every file, by path within the folder

    @property
    def fonts_key(self) -> str:
        """Renders of one version of one design share their fonts (app/core/pdf.py)."""
        return f"{self.name} {self.version}"


def design_for(course_slug: str | None) -> Design:
    """The course's own design if it has one, else the default."""
    root = Path(current_app.config["CERTIFICATE_DESIGNS"])
    if course_slug and (root / course_slug / "certificate.html").is_file():
        return load_design(str(root / course_slug))
    return load_design(str(root / DEFAULT))


@lru_cache(maxsize=32)
def load_design(folder: str) -> Design:
    """Read a design folder whole (small files only) and check it."""
    path = Path(folder)
    if not (path / "certificate.html").is_file():
        raise DesignError(f"{path}: no certificate.html")
    files: dict[str, bytes] = {}
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path).as_posix()
        if file.is_file() and not any(part.startswith(".") for part in file.parts[-2:]):
            files[relative] = file.read_bytes()
    if sum(len(data) for data in files.values()) > MAX_DESIGN_BYTES:
        raise DesignError(f"{path}: a design must stay under {MAX_DESIGN_BYTES // 2**20} MB")
    try:
        declared = tomllib.loads(files.get("design.toml", b"").decode()).get("version", "0")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise DesignError(f"{path}/design.toml: {error}") from None
    checksum = hashlib.sha256()
    for relative, data in files.items():
        checksum.update(relative.encode() + b"\0" + hashlib.sha256(data).digest())
    return Design(
        name=path.name,
        version=f"{declared}+{checksum.hexdigest()[:8]}"[:80],
        source=files["certificate.html"].decode(),
        files=files,
    )


def _template(design: Design) -> Template:
    cache = current_app.extensions.setdefault("aula_certificate_templates", {})
    if design.version not in cache:
        # The application's environment: autoescaping, Flask-Babel's _() and filters.
        cache[design.version] = current_app.jinja_env.from_string(design.source)
    return cache[design.version]


# The QR code reaches the design as a picture among its files: a PNG is drawn far faster by
# WeasyPrint than an SVG path of hundreds of modules, and prints as sharp at 30 mm.
QR_FILE = "qr.png"


def qr_png(url: str) -> bytes:
    """The URL as a QR code (error correction M), 8 pixels a module, 2 modules of margin."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


ISSUER_LOGO_FILE = "issuer-logo"


@lru_cache(maxsize=4)
def issuer_logo(path: str) -> bytes | None:
    """The issuer's logo (CERTIFICATE_ISSUER_LOGO), read once; None when unset. A file that
    is not a PNG, JPEG, WebP or GIF picture stops rendering with a clear message."""
    if not path:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise DesignError(f"CERTIFICATE_ISSUER_LOGO {path}: {error.strerror}") from None
    picture, why = read_picture(data)
    if picture is None:
        raise DesignError(f"CERTIFICATE_ISSUER_LOGO {path}: {why}")
    return data


def _period(dates) -> str:
    if not dates:
        return ""
    return format_interval(dates[0], dates[1], "yMMMd", locale=get_locale())


def certificate_document(details: dict, design: Design) -> tuple[str, dict[str, bytes]]:
    """The design filled in with a certificate's details, in the certificate's language, and
    the files it may use: the design's own, the QR code (`package:qr.png`), the issuer's logo
    (`package:issuer-logo`, when set) and the signatures and partner logos the certificate
    names (`package:pictures/<sha256>`)."""
    pictures = details.get("pictures") or {}
    logo = issuer_logo(current_app.config.get("CERTIFICATE_ISSUER_LOGO") or "")
    with force_locale(details["language"]):
        values = dict(
            details,
            completed_on=format_date(details["completed_on"], "long"),
            issued_on=format_date(details["issued_on"], "long"),
            season_period=_period(details.get("season_dates")),
            cohort_period=_period(details.get("cohort_dates")),
            issuer=current_app.config["CERTIFICATE_ISSUER"],
            issuer_logo=f"package:{ISSUER_LOGO_FILE}" if logo else None,
        )
        for key in ("signatories", "partners", "outcomes"):
            values.setdefault(key, [])
        values.pop("pictures", None)
        html = _template(design).render(c=SimpleNamespace(**values), qr_image=f"package:{QR_FILE}")
    files = {**design.files, **pictures, QR_FILE: qr_png(details["verify_url"])}
    if logo:
        files[ISSUER_LOGO_FILE] = logo
    return html, files


def render_certificate(details: dict, design: Design) -> bytes:
    """The certificate as PDF bytes, within the configured time limit (RenderTimeout)."""
    html, files = certificate_document(details, design)
    seconds = current_app.config["CERTIFICATE_RENDER_SECONDS"]
    return render_pdf(html, files, timeout=seconds, fonts_key=design.fonts_key)
