"""Certificate designs: a course may have its own; a design reaches nothing but its own files
(no network, no file system), and a broken design is reported, not half-rendered."""

import http.server
import shutil
import threading
from datetime import date
from pathlib import Path

import pytest

from app.certificates import designs, services
from app.certificates.models import CertificateDocument
from app.core.pdf import render_pdf
from tests.certificates.helpers import certificate_of, complete, count, pdf_text, stored_pdf
from tests.core.test_pdf import FONTS, SANS, SERIF, WORD, document, printed_width

DEFAULT = Path(__file__).resolve().parents[2] / "certificates" / "default"


@pytest.fixture
def design_folder(app, tmp_path):
    """A designs folder of the test's own, with a copy of the default design."""
    shutil.copytree(DEFAULT, tmp_path / "default")
    saved = app.config["CERTIFICATE_DESIGNS"]
    app.config["CERTIFICATE_DESIGNS"] = str(tmp_path)
    designs.load_design.cache_clear()
    yield tmp_path
    app.config["CERTIFICATE_DESIGNS"] = saved
    designs.load_design.cache_clear()


def own_design(folder: Path, name: str, body: str) -> None:
    (folder / name).mkdir()
    (folder / name / "design.toml").write_text('version = "7"\n')
    (folder / name / "certificate.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'></head><body>"
        f"{body}<p>{{{{ c.learner_name }}}}</p><p>{{{{ c.verify_url }}}}</p>"
        "<img style='width:30mm' src='{{ qr_image }}' alt=''></body></html>"
    )


def test_a_course_with_its_own_design_is_printed_with_it(design_folder, make_user, small_course):
    own_design(design_folder, small_course.slug, "<h1>Diseño propio del curso</h1>")
    certificate = certificate_of(complete(make_user(full_name="Elena Ruiz"), small_course))
    assert certificate.design == small_course.slug
    assert certificate.design_version.startswith("7+")
    text = pdf_text(stored_pdf(certificate))
    assert "Diseño propio del curso" in text and "Elena Ruiz" in text


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802 - the standard library's name
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


def test_a_design_cannot_reach_the_network_or_the_file_system(
    design_folder, make_user, small_course, tmp_path
):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET CONTENT")
    port = server.server_address[1]
    try:
        own_design(
            design_folder,
            small_course.slug,
            f'<link rel="stylesheet" href="http://127.0.0.1:{port}/steal.css">'
            f'<img src="http://127.0.0.1:{port}/pixel.png" alt="">'
            f'<img src="file://{secret}" alt="">'
            f'<object data="file://{secret}"></object>'
            f'<iframe src="file://{secret}"></iframe><h1>Hostile design</h1>',
        )
        certificate = certificate_of(complete(make_user(), small_course))
        text = pdf_text(stored_pdf(certificate))
    finally:
        server.shutdown()
    assert "Hostile design" in text
    assert _Counter.hits == [], "the renderer fetched from the network"
    assert "TOP SECRET" not in text


def test_a_broken_design_is_reported_and_nothing_is_stored(design_folder, make_user, small_course):
    own_design(design_folder, small_course.slug, "{% if %}")  # not a valid template
    enrollment = complete(make_user(), small_course)
    certificate = certificate_of(enrollment)
    assert certificate is not None, "the completion and the certificate stand"
    assert count(CertificateDocument) == 0
    with pytest.raises(Exception):  # noqa: B017 - whatever the template engine raises
        services.render_document(certificate.id)
    assert count(CertificateDocument) == 0


def test_a_folder_without_a_template_is_not_a_design(design_folder, small_course):
    (design_folder / small_course.slug).mkdir()
    (design_folder / small_course.slug / "certificate.css").write_text("h1 {}")
    assert designs.design_for(small_course.slug).name == "default"
    with pytest.raises(designs.DesignError, match="no certificate.html"):
        designs.load_design(str(design_folder / small_course.slug))


def test_designs_that_differ_only_in_a_font_file_each_print_with_their_own(app, tmp_path):
    """Renders of one design share its fonts (app/core/pdf.py); a design whose font file
    differs is a different design version, so it never borrows another's fonts."""
    template = (
        "<style>@font-face { font-family: Brand; src: url(package:assets/brand.ttf) }"
        " p { font-family: Brand; font-size: 40pt }</style><p>" + WORD + "</p>"
    )
    loaded = []
    for name, font in (("brand-a", "DejaVuSans.ttf"), ("brand-b", "DejaVuSerif.ttf")):
        (tmp_path / name / "assets").mkdir(parents=True)
        (tmp_path / name / "design.toml").write_text('version = "1"\n')
        (tmp_path / name / "certificate.html").write_text(template)
        (tmp_path / name / "assets" / "brand.ttf").write_bytes((FONTS / font).read_bytes())
        loaded.append(designs.load_design(str(tmp_path / name)))
    details = {
        "language": "es",
        "completed_on": date(2026, 11, 2),
        "issued_on": date(2026, 11, 3),
        "verify_url": "https://aula.example/verify/X",
    }
    with app.test_request_context():
        widths = [
            [printed_width(designs.render_certificate(details, design)) for design in loaded]
            for _ in range(2)
        ]
        alone = [printed_width(render_pdf(*document(font))) for font in (SANS, SERIF)]
    assert loaded[0].version != loaded[1].version
    assert widths == [alone, alone]
