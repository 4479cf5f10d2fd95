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
from flask import current_app
from flask_babel import force_locale, format_date
from jinja2 import Template

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


def certificate_document(details: dict, design: Design) -> tuple[str, dict[str, bytes]]:
    """The design filled in with a certificate's details, in the certificate's language, and
    the files it may use (the design's own and the QR code, as `package:qr.png`)."""
    with force_locale(details["language"]):
        values = dict(
            details,
            completed_on=format_date(details["completed_on"], "long"),
            issued_on=format_date(details["issued_on"], "long"),
            issuer=current_app.config["CERTIFICATE_ISSUER"],
        )
        html = _template(design).render(c=SimpleNamespace(**values), qr_image=f"package:{QR_FILE}")
    return html, {**design.files, QR_FILE: qr_png(details["verify_url"])}


def render_certificate(details: dict, design: Design) -> bytes:
    """The certificate as PDF bytes, within the configured time limit (RenderTimeout)."""
    html, files = certificate_document(details, design)
    seconds = current_app.config["CERTIFICATE_RENDER_SECONDS"]
    return render_pdf(html, files, timeout=seconds, fonts_key=design.fonts_key)
