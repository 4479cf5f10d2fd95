"""Public verification: anyone sees what the certificate prints and its status, never personal
data beyond it; unknown codes all look alike; revocation shows at once; an edited PDF is caught."""

import io
import re

import pytest

from app.accounts.models import Role
from app.certificates import codes, services
from app.extensions import db, limiter
from tests.certificates.helpers import certificate_of, complete, stored_pdf
from tests.conftest import CSRF_RE
from tests.learning.helpers import counting_queries


@pytest.fixture
def certificate(app, make_user, small_course):
    learner = make_user(full_name="Lucía Ramírez", email="lucia.private@example.org", locale="es")
    return certificate_of(complete(learner, small_course))


def _page(client, certificate):
    return client.get(f"/verify/{certificate.grouped_code}")


def test_the_page_shows_what_the_certificate_prints_and_nothing_more(client, certificate):
    response = client.get(f"/verify/{certificate.grouped_code}", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in (
        "Lucía Ramírez",
        certificate.course_title,
        certificate.season_name,
        str(certificate.hours),
        certificate.grouped_code,
        "Valid",
    ):
        assert shown in html, shown
    assert "lucia.private@example.org" not in html
    assert '<meta name="robots" content="noindex' in html
    assert "noindex" in response.headers["X-Robots-Tag"]
    # Kept by no shared cache, and asked again on every use (a revocation shows at once).
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_the_page_speaks_the_visitors_language(client, certificate):
    spanish = client.get(f"/verify/{certificate.grouped_code}", headers={"Accept-Language": "es"})
    assert "Válido" in spanish.get_data(as_text=True)
    portuguese = client.get(
        f"/verify/{certificate.grouped_code}", headers={"Accept-Language": "pt-BR"}
    )
    assert "Válido" in portuguese.get_data(as_text=True)
    assert 'lang="pt"' in portuguese.get_data(as_text=True)


def test_json_gives_the_same_record(client, certificate):
    response = client.get(f"/verify/{certificate.grouped_code}.json")
    assert response.status_code == 200
    assert "noindex" in response.headers["X-Robots-Tag"]
    record = response.get_json()
    assert record["status"] == "valid" and record["revoked_on"] is None
    assert record["learner_name"] == "Lucía Ramírez"
    assert record["course"] == certificate.course_title
    assert record["season"] == certificate.season_name
    assert record["hours"] == certificate.hours
    assert record["code"] == certificate.grouped_code
    assert record["verification_url"].endswith(f"/verify/{certificate.grouped_code}")
    assert "email" not in str(record).lower() and "lucia.private" not in str(record)


def test_a_revoked_certificate_shows_revoked_on_the_next_request(client, certificate):
    assert _page(client, certificate).status_code == 200
    services.revoke(certificate, "Plagiarised capstone", services.PLATFORM)
    db.session.commit()

    html = client.get(
        f"/verify/{certificate.grouped_code}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "Revoked" in html and "no longer valid" in html
    assert "Plagiarised" not in html  # the reason is for the audit trail, not the public
    record = client.get(f"/verify/{certificate.grouped_code}.json").get_json()
    assert record["status"] == "revoked" and record["revoked_on"]

    services.restore(certificate, "Decision reversed on appeal", services.PLATFORM)
    db.session.commit()
    assert client.get(f"/verify/{certificate.grouped_code}.json").get_json()["status"] == "valid"


def _without_tokens(html: str) -> str:
    """The page without what differs between any two requests: the form tokens, and the
    language switcher's way back to the address asked for."""
    html = CSRF_RE.sub("", html)
    return re.sub(r'name="next" value="[^"]*"', "", html)


@pytest.mark.parametrize(
    "shape",
    [
        "0000-0000-0000-0000-0000-0000-0000",  # well formed, unknown
        "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
        "abc",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "'; DROP TABLE certificate; --",
        "U" * 28,  # a letter the alphabet lacks
        "9" * 500,
    ],
)
def test_every_unknown_code_gets_the_same_404(client, certificate, shape):
    reference = client.get("/verify/0000-0000-0000-0000-0000-0000-0001")
    response = client.get(f"/verify/{shape}")
    assert response.status_code == 404 == reference.status_code
    assert _without_tokens(response.get_data(as_text=True)) == _without_tokens(
        reference.get_data(as_text=True)
    )
    assert "noindex" in response.headers["X-Robots-Tag"]
    as_json = client.get(f"/verify/{shape}.json")
    assert as_json.status_code == 404 and as_json.get_json() == {"error": "not_found"}


def test_a_code_typed_loosely_leads_to_its_page(client, certificate):
    loose = certificate.grouped_code.lower().replace("-", " ")
    response = client.get(f"/verify/{loose}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/verify/{certificate.grouped_code}")
    typed = client.get("/verify", query_string={"code": loose})
    assert typed.status_code == 302
    assert client.get("/verify", query_string={"code": "nonsense"}).status_code == 404
    assert client.get("/verify").status_code == 200


def test_codes_carry_140_random_bits_in_groups_of_four():
    drawn = {codes.new_code() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(len(code) == 28 and set(code) <= set(codes.ALPHABET) for code in drawn)
    assert len(codes.ALPHABET) == 32  # 5 bits a character: 28 x 5 = 140 >= 128
    code = drawn.pop()
    grouped = codes.group(code)
    assert re.fullmatch(r"([0-9A-Z]{4}-){6}[0-9A-Z]{4}", grouped)
    assert codes.normalise(grouped.lower()) == code
    assert codes.normalise(code.replace("0", "o").replace("1", "l")) == code
    assert codes.normalise(code[:-1]) is None and codes.normalise(code + "U") is None


def test_the_verification_page_takes_at_most_two_queries(client, certificate):
    url = f"/verify/{certificate.grouped_code}"
    client.get(url)
    with counting_queries() as statements:
        assert client.get(url).status_code == 200
    assert len(statements) <= 2, statements
    with counting_queries() as statements:
        assert client.get(url + ".json").status_code == 200
    assert len(statements) <= 2, statements


def test_verification_is_rate_limited(client, certificate, app):
    limit = int(app.config["VERIFY_RATE_LIMIT"].split()[0])
    url = f"/verify/{certificate.grouped_code}.json"
    statuses = [client.get(url).status_code for _ in range(limit + 1)]
    assert statuses[:limit] == [200] * limit
    assert statuses[-1] == 429
    # Guessing unknown codes counts against the same limit.
    assert client.get("/verify/0000-0000-0000-0000-0000-0000-0000").status_code == 429
    limiter.reset()


# Checking an uploaded PDF --------------------------------------------------------------------


def _check(client, certificate, data: bytes | None, filename="certificate.pdf"):
    url = f"/verify/{certificate.grouped_code}"
    token = CSRF_RE.search(client.get(url).get_data(as_text=True)).group(1)
    fields = {"csrf_token": token}
    if data is not None:
        fields["pdf"] = (io.BytesIO(data), filename)
    return client.post(
        url,
        data=fields,
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )


def test_the_issued_pdf_is_recognised_byte_for_byte(client, certificate):
    response = _check(client, certificate, stored_pdf(certificate))
    assert response.status_code == 200
    assert "byte for byte the PDF issued" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "edit",
    [
        lambda pdf: pdf[:200] + bytes([pdf[200] ^ 1]) + pdf[201:],  # one bit changed
        lambda pdf: pdf + b"\n%% appended",
        lambda pdf: pdf[:-1],
        lambda pdf: b"not a pdf at all",
    ],
)
def test_an_edited_or_other_file_is_not_the_issued_one(client, certificate, edit):
    edited = edit(stored_pdf(certificate))
    assert edited != stored_pdf(certificate)
    response = _check(client, certificate, edited)
    assert response.status_code == 200
    assert "NOT the PDF issued" in response.get_data(as_text=True)


def test_checking_without_a_file_or_with_a_huge_one_gets_a_clear_answer(client, certificate):
    empty = _check(client, certificate, None)
    assert empty.status_code == 200
    assert "Choose the PDF file to check." in empty.get_data(as_text=True)
    huge = _check(client, certificate, b"%PDF" + b"0" * (3 * 1024 * 1024))
    assert huge.status_code == 413


def test_the_check_needs_the_forms_token(client, certificate):
    response = client.post(
        f"/verify/{certificate.grouped_code}",
        data={"pdf": (io.BytesIO(stored_pdf(certificate)), "c.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_the_learner_name_is_escaped_on_the_page(client, make_user, small_course):
    learner = make_user(role=Role.LEARNER, full_name="Ana Lopez")
    certificate = certificate_of(complete(learner, small_course))
    certificate.learner_name = "<script>alert(1)</script>"
    db.session.commit()
    html = _page(client, certificate).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
