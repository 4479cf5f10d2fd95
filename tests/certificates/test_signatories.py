"""A design an institution signs: the issuer, the course's partners, one or two signatories
with their signatures (uploaded by an administrator and checked as real pictures), the
learner's institution and country, the season and cohort in the certificate's language, and
the course's outcomes and hours on a second page."""

import io
import zlib

import pytest
from PIL import Image, ImageDraw

from app.accounts.models import Institution, Role
from app.certificates import services, signatories
from app.certificates.models import Partner, Signatory
from app.core.models import StoredFile
from app.extensions import db
from tests.certificates.helpers import (
    certificate_of,
    complete,
    count,
    pdf_pages,
    pdf_text,
    qr_codes,
    stored_pdf,
)
from tests.conftest import csrf_token, login
from tests.seasons.factories import make_cohort


def png(width=300, height=90, colour=(20, 40, 120, 255)) -> bytes:
    """A picture of a signature: a transparent PNG with a scribble."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(10, height - 20), (80, 15), (140, height - 10), (width - 10, 20)], colour, 5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def bomb_png() -> bytes:
    """A 30,000 x 30,000 PNG (900 million pixels) of a few kilobytes: a decompression bomb."""
    import struct

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (30_001 * 64))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


HOSTILE = {
    "html": b"<html><script>alert(1)</script></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
    "pdf-named-png": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "truncated-png": png()[:60],
    "empty": b"",
    "bomb": bomb_png(),
    "too-large": png()[:-12] + b"\0" * (2 * 1024 * 1024) + png()[-12:],
}


@pytest.fixture
def admin_client(app, make_user):
    other = app.test_client()
    login(other, make_user(role=Role.ADMIN, locale="en"))
    return other


def add_signatory(client, course_id="", season_id="", name="Ana Directora", title="Directora",
                  picture=None, filename="firma.png"):  # fmt: skip
    url = "/admin/certificates/signatories"
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "signatory-course_id": str(course_id),
            "signatory-season_id": str(season_id),
            "signatory-name": name,
            "signatory-title": title,
            "signatory-signature": (io.BytesIO(png() if picture is None else picture), filename),
        },
        headers={"Accept-Language": "en"},
    )


def add_partner(client, course_id, name="SENAI", picture=None):
    url = "/admin/certificates/signatories"
    return client.post(
        "/admin/certificates/partners",
        data={
            "csrf_token": csrf_token(client, url),
            "partner-course_id": str(course_id),
            "partner-name": name,
            "partner-logo": (io.BytesIO(png(200, 80) if picture is None else picture), "l.png"),
        },
        headers={"Accept-Language": "en"},
    )


def test_the_certificate_names_signatories_institution_season_and_outcomes(
    admin_client, make_user, institutions, small_course
):
    """Two signatories and a partner set by an administrator; the PDF, in Portuguese, reads
    them, the learner's institution and country, the season with its dates, and on page 2
    the course's outcomes and hours."""
    assert add_signatory(admin_client, small_course.id, name="Ana Directora").status_code == 302
    response = add_signatory(
        admin_client, small_course.id, name="Carlos Coordenador", title="Coordenador acadêmico"
    )
    assert response.status_code == 302
    assert add_partner(admin_client, small_course.id, name="SENAI").status_code == 302

    learner = make_user(locale="pt", full_name="Joaquim Batista")
    institution = db.session.get(Institution, institutions[0].id)
    learner.institution_id, learner.country_code = institution.id, "BR"
    db.session.commit()
    certificate = certificate_of(complete(learner, small_course))
    pdf = stored_pdf(certificate)

    assert pdf_pages(pdf) == 2
    text = pdf_text(pdf)
    for expected in (
        "Joaquim Batista",
        "Ana Directora",
        "Directora",
        "Carlos Coordenador",
        "Coordenador acadêmico",
        "SENAI",
        institution.name_in("pt"),  # a listed institution: its name in the certificate's language
        "Brasil",  # the country in the certificate's language
        "Test season (",  # with its dates, in Portuguese:
        " de 2026 – ",
        "Certificado de conclusão",
    ):
        assert expected in text, expected
    page_two = pdf_text_of_page(pdf, 1)
    outcomes = [services.title_in(certificate, "pt")] + (certificate.printed["outcomes"]["pt"])
    for expected in outcomes:
        assert " ".join(expected.split()) in page_two, expected
    assert f"{small_course.hours} horas" in page_two
    assert qr_codes(pdf) == [services.verification_url(certificate)]
    # Frozen in the record: removing a signatory changes no later edition of it.
    assert [s["name"] for s in certificate.printed["signatories"]] == [
        "Ana Directora",
        "Carlos Coordenador",
    ]


def pdf_text_of_page(pdf: bytes, index: int) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        return " ".join(document[index].get_textpage().get_text_range().split())
    finally:
        document.close()


def test_the_cohort_and_its_dates_print_in_the_certificates_language(make_user):
    from datetime import date

    from app.catalog.models import CourseKind
    from tests.certificates.helpers import completed_place
    from tests.learning.helpers import build_course

    course = build_course("tutored", kind=CourseKind.TUTOR_LED, languages=["es"])
    cohort = make_cohort(course, seats=5)
    cohort.starts_on, cohort.ends_on = date(2026, 3, 2), date(2026, 5, 29)
    db.session.commit()
    enrollment = completed_place(make_user(locale="es"), course, cohort)
    services.issue_certificate(enrollment.id)
    db.session.commit()
    text = pdf_text(stored_pdf(certificate_of(enrollment)))
    assert f"Cohorte {cohort.name}" in text
    assert "2 mar" in text and "29 may 2026" in text, text  # in Spanish


def test_course_and_season_signatories_choose_the_most_specific(app, small_course):
    season_id = small_course_season_id(small_course)
    data = png()
    signatories.add_signatory(
        course_id=None, season_id=season_id, name="Season Head", title="T", signature=data
    )
    assert names(small_course.id, season_id) == ["Season Head"]
    signatories.add_signatory(
        course_id=small_course.id, season_id=None, name="Course Head", title="T", signature=data
    )
    assert names(small_course.id, season_id) == ["Course Head"]
    signatories.add_signatory(
        course_id=small_course.id, season_id=season_id, name="Both", title="T", signature=data
    )
    assert names(small_course.id, season_id) == ["Both"]
    assert names(small_course.id, None) == ["Course Head"]
    # Two at most in one place.
    signatories.add_signatory(
        course_id=small_course.id, season_id=season_id, name="Both 2", title="T", signature=data
    )
    with pytest.raises(signatories.SigningRefused):
        signatories.add_signatory(
            course_id=small_course.id, season_id=season_id, name="Three", title="T",
            signature=data,
        )  # fmt: skip
    with pytest.raises(signatories.SigningRefused):
        signatories.add_signatory(
            course_id=None, season_id=None, name="Nobody's", title="T", signature=data
        )


def small_course_season_id(course):
    from tests.seasons.factories import make_season

    return make_season().id


def names(course_id, season_id):
    return [s["name"] for s in signatories.signing_for(course_id, season_id)["signatories"]]


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_signature_images_are_refused_with_nothing_stored(admin_client, small_course, kind):
    files = count(StoredFile)
    response = add_signatory(admin_client, small_course.id, picture=HOSTILE[kind])
    if kind == "too-large":
        assert response.status_code == 413  # refused before the view reads it
    else:
        assert response.status_code == 200  # the form again, with the reason
        assert "Error:" in response.get_data(as_text=True)
    assert count(Signatory) == 0 and count(StoredFile) == files


@pytest.mark.parametrize("kind", ["html", "bomb", "pdf-named-png"])
def test_hostile_partner_logos_are_refused_with_nothing_stored(admin_client, small_course, kind):
    files = count(StoredFile)
    response = add_partner(admin_client, small_course.id, picture=HOSTILE[kind])
    assert response.status_code == 200
    assert count(Partner) == 0 and count(StoredFile) == files


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"title": ""},
        {"name": "x" * 121},
        {"course_id": "999999"},
        {"course_id": "abc"},
        {"course_id": "", "season_id": ""},
    ],
    ids=["no-name", "no-title", "long-name", "unknown-course", "not-an-id", "no-scope"],
)
def test_bad_signatory_forms_are_refused(admin_client, small_course, fields):
    values = {"course_id": small_course.id, **fields}
    response = add_signatory(admin_client, **values)
    assert response.status_code == 200
    assert count(Signatory) == 0


def test_removing_a_signatory_leaves_issued_certificates_as_they_were(
    admin_client, make_user, small_course
):
    add_signatory(admin_client, small_course.id, name="Ana Directora")
    certificate = certificate_of(complete(make_user(), small_course))
    signatory = db.session.scalar(db.select(Signatory))
    url = f"/admin/certificates/signatories/{signatory.id}/remove"
    response = admin_client.post(url, data={"csrf_token": csrf_token(admin_client, "/")})
    assert response.status_code == 302 and count(Signatory) == 0
    # A new language edition of the issued certificate still shows who signed it.
    services.change_language(certificate, "en", services.PLATFORM)
    db.session.commit()
    assert "Ana Directora" in pdf_text(stored_pdf(certificate_of_id(certificate.id)))
    # Gone already: 404.
    assert (
        admin_client.post(url, data={"csrf_token": csrf_token(admin_client, "/")}).status_code
        == 404
    )


def certificate_of_id(certificate_id):
    db.session.expire_all()
    return db.session.get(services.Certificate, certificate_id)


def test_the_signing_pages_are_for_administrators_only(app, client, make_user, small_course):
    login(client, make_user())
    token = csrf_token(client, "/")
    assert client.get("/admin/certificates/signatories").status_code == 403
    response = client.post(
        "/admin/certificates/signatories",
        data={
            "csrf_token": token,
            "signatory-course_id": str(small_course.id),
            "signatory-name": "Mallory",
            "signatory-title": "Boss",
            "signatory-signature": (io.BytesIO(png()), "s.png"),
        },
    )
    assert response.status_code == 403 and count(Signatory) == 0
    assert (
        client.post(
            "/admin/certificates/partners",
            data={
                "csrf_token": token,
                "partner-course_id": str(small_course.id),
                "partner-name": "X",
            },
        ).status_code
        == 403
    )
    assert app.test_client().get("/admin/certificates/signatories").status_code == 302


def test_an_issuer_logo_that_is_not_a_picture_stops_the_render(app, tmp_path, make_user,
                                                              small_course):  # fmt: skip
    from app.certificates.designs import issuer_logo

    bad = tmp_path / "logo.png"
    bad.write_bytes(b"<svg onload=alert(1)>")
    good = tmp_path / "good.png"
    good.write_bytes(png(120, 120))
    assert issuer_logo(str(good)) == good.read_bytes()
    app.config["CERTIFICATE_ISSUER_LOGO"] = str(good)
    try:
        certificate = certificate_of(complete(make_user(), small_course))
        assert pdf_pages(stored_pdf(certificate)) == 2
    finally:
        app.config["CERTIFICATE_ISSUER_LOGO"] = ""
    from app.certificates.designs import DesignError

    with pytest.raises(DesignError):
        issuer_logo(str(bad))


def test_the_season_prints_its_name_in_the_certificates_language(make_user, small_course):
    """A Spanish certificate does not print "Season 2026": the season's name is frozen at
    issue in every language, and each language's PDF prints its own."""
    from app.seasons import services as seasons
    from tests.seasons.factories import make_season

    season = make_season()
    seasons.rename_season(season, {"es": "Temporada de prueba", "pt": "Temporada de teste"})
    db.session.commit()
    learner = make_user(locale="es")
    certificate = certificate_of(complete(learner, small_course))
    assert "Temporada de prueba" in pdf_text(stored_pdf(certificate))
    seasons.rename_season(season, {"es": "Otro nombre"})  # later: the certificate keeps its own
    services.change_language(certificate, "pt", services.PLATFORM)
    db.session.commit()
    text = pdf_text(stored_pdf(certificate, "pt"))
    assert "Temporada de teste" in text and "Test season" not in text
