"""Visitors' pages from the page cache (app/core/page_cache.py): served without rendering
while nothing they show has changed, revalidated with ETag/304, each visitor with their own
CSRF token, and changed on the very next request after an import, a revocation or a seat
taken."""

import gzip
import re
import shutil
import subprocess
from html import unescape

import pytest
from sqlalchemy import event

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.certificates import services as certificates
from app.extensions import db
from tests.certificates.helpers import certificate_of, complete
from tests.conftest import CSRF_RE, PACKAGES, import_package, login, without_form_tokens
from tests.learning.helpers import build_course, counting_queries
from tests.seasons.factories import enroll, make_cohort

TUTORED = "tutored-cache"
# GNU gzip: an implementation of inflate that is not Python's zlib.
GNU_GZIP = shutil.which("gzip") or "/bin/gzip"


def _get(client, url, **headers):
    return client.get(url, headers={"Accept-Language": "en", **headers})


def test_a_visitors_catalog_is_rendered_once_then_served_with_one_query(client, small_course):
    first = _get(client, "/courses")
    with counting_queries() as statements:
        second = _get(client, "/courses")
    assert second.status_code == 200
    assert "Example course" in second.get_data(as_text=True)
    # Only the versions of what the page shows are read: no course, no offer.
    assert len(statements) == 1, statements
    assert "page_version" in statements[0]
    assert without_form_tokens(second.get_data()) == without_form_tokens(first.get_data())
    assert second.headers["Cache-Control"] == "private, no-cache"
    assert second.headers["ETag"].startswith('W/"')


def test_a_signed_in_person_is_never_served_a_visitors_page(client, small_course, make_user):
    _get(client, "/courses")
    login(client, make_user(full_name="Ana Signed-In", locale="en"))
    with counting_queries() as statements:
        page = _get(client, "/courses")
    assert "Sign out" in page.get_data(as_text=True)
    assert len(statements) > 1
    assert "ETag" not in page.headers


def test_each_language_has_its_own_copy(client, small_course):
    assert "Example course" in _get(client, "/courses").get_data(as_text=True)
    spanish = client.get("/courses", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Curso de ejemplo" in spanish and "Example course" not in spanish


def test_the_etag_answers_304_with_no_body_while_nothing_changed(client, small_course):
    page = _get(client, "/courses")
    again = _get(client, "/courses", **{"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == page.headers["ETag"]


def test_each_visitor_gets_their_own_csrf_token_and_it_works(app, small_course):
    one, two = app.test_client(), app.test_client()
    tokens = []
    for visitor in (one, two):
        html = _get(visitor, "/courses").get_data(as_text=True)
        assert "csrf-token" not in html and "\x00" not in html  # the placeholder never shows
        tokens.append(CSRF_RE.search(html).group(1))
    assert tokens[0] != tokens[1]
    # Another visitor's page is not a valid 304 for this one.
    etag = _get(one, "/courses").headers["ETag"]
    assert _get(two, "/courses", **{"If-None-Match": etag}).status_code == 200
    # Each switches language with the token of the (cached) page it was given...
    for visitor, token in zip((one, two), tokens, strict=True):
        response = visitor.post(
            "/language", data={"locale": "pt", "next": "/courses", "csrf_token": token}
        )
        assert response.status_code == 302
        assert "Curso de exemplo" in visitor.get("/courses").get_data(as_text=True)
    # ... and not with the other's.
    three = app.test_client()
    _get(three, "/courses")
    refused = three.post("/language", data={"locale": "pt", "next": "/", "csrf_token": tokens[0]})
    assert refused.status_code == 400


def test_a_content_import_shows_on_the_next_request(client, small_course, tmp_path):
    assert "Example course" in _get(client, "/courses").get_data(as_text=True)
    changed = tmp_path / "small-example"
    shutil.copytree(PACKAGES / "small-example", changed)
    course_yaml = changed / "course.yaml"
    course_yaml.write_text(
        course_yaml.read_text().replace("en: Example course", "en: A renamed example course")
    )
    import_package(changed)
    for url in ("/courses", "/courses/small-example"):
        assert "A renamed example course" in _get(client, url).get_data(as_text=True), url


def test_a_revocation_shows_on_the_next_request_cache_or_not(client, make_user, small_course):
    certificate = certificate_of(complete(make_user(full_name="Rosa Cache"), small_course))
    url = f"/verify/{certificate.grouped_code}"
    valid = _get(client, url)
    with counting_queries() as statements:
        cached = _get(client, url, **{"If-None-Match": valid.headers["ETag"]})
    assert cached.status_code == 304
    # The versions only: a page kept under them shows the certificate as it is.
    assert len(statements) == 1, statements
    certificates.revoke(certificate, "Issued by mistake", certificates.PLATFORM)
    db.session.commit()
    revoked = _get(client, url, **{"If-None-Match": valid.headers["ETag"]})
    assert revoked.status_code == 200
    assert "Revoked" in revoked.get_data(as_text=True)
    assert revoked.headers["ETag"] != valid.headers["ETag"]


@pytest.fixture
def tutored(app):
    course = build_course(TUTORED, kind=CourseKind.TUTOR_LED, languages=["es", "en"], modules=1)
    db.session.commit()
    return course


def _seats_left(html: str) -> str:
    return re.search(r"(\d+) seats? left of", unescape(html)).group(1)


def test_a_seat_taken_and_a_tutors_new_name_show_on_the_next_request(client, tutored, make_user):
    tutor = make_user(role=Role.TUTOR, full_name="Tomás Tutor")
    cohort = make_cohort(tutored, seats=5, tutors=[tutor])
    db.session.commit()
    url = f"/courses/{TUTORED}"
    page = _get(client, url).get_data(as_text=True)
    assert _seats_left(page) == "5" and "Tomás Tutor" in page
    enroll(make_user(), tutored, cohort)  # a guarded UPDATE of the cohort's seats
    db.session.commit()
    assert _seats_left(_get(client, url).get_data(as_text=True)) == "4"
    tutor.full_name = "Tomás Renamed"
    db.session.commit()
    assert "Tomás Renamed" in _get(client, url).get_data(as_text=True)


def test_a_change_that_rolls_back_changes_nothing_and_a_person_signing_in_changes_no_version(
    client, small_course, make_user
):
    from app.core.page_cache import versions

    before = versions(("catalog", "certificates"))
    small_course.hours = 99
    db.session.flush()
    db.session.rollback()
    learner = make_user()
    login(client, learner)  # writes sessions and sign-in times, not what visitors' pages show
    assert versions(("catalog", "certificates")) == before


def test_a_cached_page_goes_out_gzipped_with_each_visitors_own_token(app, small_course):
    """Compressed once with holes for the token (app/core/gzip_holes.py): what each visitor
    gets is one ordinary gzip member, read by Python's gzip and by GNU gzip alike, holding
    the page as an uncompressed answer holds it, with the visitor's own token."""
    plain = app.test_client().get("/courses", headers={"Accept-Language": "en"})
    tokens, pages = [], []
    for _ in range(2):
        visitor = app.test_client()
        answer = _get(visitor, "/courses", **{"Accept-Encoding": "gzip, deflate, br"})
        assert answer.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in answer.headers["Vary"]
        body = answer.get_data()
        assert len(body) < len(plain.get_data()) / 2
        unzipped = gzip.decompress(body).decode()
        gnu = subprocess.run([GNU_GZIP, "-dc"], input=body, capture_output=True, check=True)
        assert gnu.stdout.decode() == unzipped
        token = unescape(CSRF_RE.search(unzipped).group(1))
        tokens.append(token)
        pages.append(unzipped.replace(token, "TOKEN"))
        # The token works: the language switcher takes it.
        switched = visitor.post("/language", data={"locale": "es", "csrf_token": token})
        assert switched.status_code == 302
    assert tokens[0] != tokens[1]
    plain_token = unescape(CSRF_RE.search(plain.get_data(as_text=True)).group(1))
    assert pages[0] == pages[1] == plain.get_data(as_text=True).replace(plain_token, "TOKEN")


def test_a_browser_without_gzip_gets_the_page_as_it_asks(client, small_course):
    brotli_only = _get(client, "/courses", **{"Accept-Encoding": "br"})
    assert brotli_only.headers["Content-Encoding"] == "br"
    identity = _get(client, "/courses", **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in identity.headers
    assert "Example course" in identity.get_data(as_text=True)


@pytest.mark.parametrize(
    "parts",
    [["", ""], ["<p>only</p>"], ["", "ñandú " * 5000, "", "end"], ["a" * 70_000, "b"]],
)
def test_a_holed_gzip_is_the_gzip_of_its_parts_and_fillings(parts):
    from app.core.gzip_holes import HoledGzip

    filling = "tok-EN.123_ü"
    body = HoledGzip(parts, level=6).fill(filling)
    expected = filling.join(parts).encode()
    assert gzip.decompress(body) == expected
    gnu = subprocess.run([GNU_GZIP, "-dc"], input=body, capture_output=True, check=True)
    assert gnu.stdout == expected


def test_a_304_never_keeps_a_token_older_than_its_band(client, small_course, monkeypatch):
    """The ETag changes every _TOKEN_HOURS: a page revalidated with 304 keeps the token it
    was sent with for at most that long, well within the token's own time limit."""
    from datetime import UTC, datetime, timedelta

    from app.core import page_cache

    assert client.application.config["WTF_CSRF_TIME_LIMIT"] >= page_cache._TOKEN_HOURS * 3600 * 2
    start = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # the start of a band (8 is a multiple of 4)
    clock = {"now": start}

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock["now"]

    monkeypatch.setattr(page_cache, "datetime", Clock)
    page = _get(client, "/courses")
    clock["now"] = start + timedelta(hours=page_cache._TOKEN_HOURS, minutes=-1)
    assert _get(client, "/courses", **{"If-None-Match": page.headers["ETag"]}).status_code == 304
    clock["now"] = start + timedelta(hours=page_cache._TOKEN_HOURS)
    later = _get(client, "/courses", **{"If-None-Match": page.headers["ETag"]})
    assert later.status_code == 200
    assert later.headers["ETag"] != page.headers["ETag"]


# The catalog's list, kept for anyone (`fragment`) -----------------------------------------


def _signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_a_signed_in_catalog_keeps_its_list_per_set_of_places(app, tutored, make_user):
    cohort = make_cohort(tutored, seats=5)
    ana, bruno = make_user(locale="en"), make_user(locale="en")
    enroll(ana, tutored, cohort)
    db.session.commit()
    ana_client, bruno_client = _signed_in(app, ana), _signed_in(app, bruno)
    rendered = _get(ana_client, "/courses").get_data(as_text=True)
    assert "You are enrolled" in rendered
    with counting_queries() as statements:
        kept = _get(ana_client, "/courses").get_data(as_text=True)
    assert "You are enrolled" in kept
    # Neither the courses nor the offers are read again: the versions, the reader's places,
    # and what every signed-in page reads (the session, the unread count).
    assert not any("FROM course " in s or "FROM season_course" in s for s in statements)
    # Another learner, without that place, never gets Ana's list.
    other = _get(bruno_client, "/courses").get_data(as_text=True)
    assert "You are enrolled" not in other and "Enrolment open" in other
    # Bruno's own enrolment shows on his next request.
    enroll(bruno, tutored, cohort)
    db.session.commit()
    assert "You are enrolled" in _get(bruno_client, "/courses").get_data(as_text=True)


def test_a_course_renamed_shows_on_a_signed_in_readers_next_catalog(app, tutored, make_user):
    client = _signed_in(app, make_user(locale="en"))
    assert f"Curso {TUTORED}" in _get(client, "/courses").get_data(as_text=True)
    tutored.title = {"es": "Curso renombrado", "en": "A renamed course"}
    db.session.commit()
    page = _get(client, "/courses").get_data(as_text=True)
    assert "A renamed course" in page and f"Curso {TUTORED}" not in page


def test_a_kept_part_of_a_page_refuses_a_form_token(app, small_course):
    from flask import render_template_string
    from flask_wtf.csrf import generate_csrf

    from app.core.page_cache import fragment

    with app.test_request_context("/courses"):
        own = generate_csrf()
        with pytest.raises(ValueError, match="no form token"):
            fragment(("catalog",), lambda: render_template_string("{{ csrf_token() }}"))
        # The request's own token is still the one its forms get.
        assert generate_csrf() == own
        kept = fragment(("catalog",), lambda: render_template_string("<p>{{ 1 + 1 }}</p>"))
        assert kept == "<p>2</p>"


def test_a_signed_in_catalog_takes_one_connection_from_the_pool(app, tutored, make_user):
    """The versions are read on the connection the reader's session holds already: on
    PostgreSQL a second one per request would double what the server holds open."""
    client = _signed_in(app, make_user(locale="en"))
    _get(client, "/courses")
    taken = []

    def on_checkout(dbapi_connection, record, proxy):
        taken.append(record)

    event.listen(db.engine, "checkout", on_checkout)
    try:
        assert _get(client, "/courses").status_code == 200
    finally:
        event.remove(db.engine, "checkout", on_checkout)
    assert len(taken) == 1, taken
