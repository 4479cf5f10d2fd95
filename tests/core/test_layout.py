"""The base layout: light, accessible, and the same on every page."""

import re
from html.parser import HTMLParser

import pytest

from app.accounts.models import Role
from tests.conftest import post_form, without_form_tokens

PAGES = ["/", "/login", "/register", "/forgot-password", "/account/profile",
         "/account/password", "/admin/people", "/admin/institutions/new",
         "/courses", "/courses/small-example", "/privacy", "/account/privacy",
         "/account/delete"]  # fmt: skip


class PageOutline(HTMLParser):
    """Collects what the accessibility checks need from a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.labels_for, self.controls, self.stylesheets = [], set(), [], []
        self.fieldset_depth, self.headings = 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "label" and attrs.get("for"):
            self.labels_for.add(attrs["for"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {
            "hidden", "submit", "button"
        }:  # fmt: skip
            self.controls.append(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs["href"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))


def outline(html):
    parser = PageOutline()
    parser.feed(html)
    return parser


@pytest.fixture
def pages(client, login_as, institutions, small_course):
    login_as(Role.ADMIN)
    fetched = {url: client.get(url) for url in PAGES[4:]}
    post_form(client, "/logout", {}, form_page="/")
    fetched.update({url: client.get(url) for url in PAGES[:4]})
    return fetched


# Pages that earn a script: the sign-in page offers passkeys (WebAuthn needs JavaScript; the
# password form works without it).
SCRIPTED = {"/login": ["accounts/passkeys.js"]}


def test_every_page_with_its_css_weighs_under_30_kb(client, pages):
    for url, response in pages.items():
        html = response.get_data()
        css = sum(len(client.get(href).get_data()) for href in outline(html.decode()).stylesheets)
        scripts = re.findall(
            r'<script src="/static/([^"?]+)\?v=[0-9a-f]{12}" defer></script>', html.decode()
        )
        assert scripts == SCRIPTED.get(url, []), url
        assert html.count(b"<script") == len(scripts), url  # no inline script
        js = sum(len(client.get(f"/static/{name}").get_data()) for name in scripts)
        assert len(html) + css + js < 30 * 1024, (url, len(html), css, js)


def test_every_page_has_a_plain_text_title(pages):
    for url, response in pages.items():
        title = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)
        assert title and title.group(1).strip(), url
        assert "<" not in title.group(1) and len(title.group(1)) < 200, url


def test_every_page_has_landmarks_a_skip_link_and_ordered_headings(pages):
    for url, response in pages.items():
        page = outline(response.get_data(as_text=True))
        tags = {tag for tag, _ in page.tags}
        assert {"header", "nav", "main", "footer"} <= tags, url
        main = next(attrs for tag, attrs in page.tags if tag == "main")
        skip = next(attrs for tag, attrs in page.tags if tag == "a")
        assert skip["href"] == f"#{main['id']}", url
        assert page.headings and page.headings[0] == 1, url
        assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False)), url


def test_every_form_control_has_a_label(pages):
    for url, response in pages.items():
        page = outline(response.get_data(as_text=True))
        for control in page.controls:
            assert control.get("id") in page.labels_for, (url, control)


def test_static_files_are_cached_for_a_long_time_under_a_content_hash(client):
    page = outline(client.get("/").get_data(as_text=True))
    href = page.stylesheets[0]
    assert re.search(r"\?v=[0-9a-f]{12}$", href)
    response = client.get(href)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_pages_and_static_files_travel_compressed_to_clients_that_accept_it(
    client, pages, encoding
):
    import gzip

    import brotli

    decompress = gzip.decompress if encoding == "gzip" else brotli.decompress
    for url in ("/courses", "/login"):
        plain = client.get(url)
        packed = client.get(url, headers={"Accept-Encoding": encoding})
        assert packed.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in packed.headers["Vary"]
        body = decompress(packed.get_data())
        assert len(packed.get_data()) < len(body) / 2, url
        assert without_form_tokens(body) == without_form_tokens(plain.get_data()), url


def test_static_files_travel_compressed_as_browsers_ask(client):
    import zlib

    import brotli

    css = outline(client.get("/").get_data(as_text=True)).stylesheets[0]
    plain = client.get(css).get_data()
    # Browsers send "gzip, deflate" over HTTP and add "br" over HTTPS; files are streamed,
    # which deflate and brotli do and gzip does not.
    for accept, encoding, decompress in (
        ("gzip, deflate, br", "br", brotli.decompress),
        ("gzip, deflate", "deflate", zlib.decompress),
    ):
        packed = client.get(css, headers={"Accept-Encoding": accept})
        assert packed.headers["Content-Encoding"] == encoding
        assert decompress(packed.get_data()) == plain
        assert len(packed.get_data()) < len(plain) / 2


def test_downloads_are_sent_as_they_are_and_without_the_header_nothing_is_compressed(client):
    plain = client.get("/courses")
    assert "Content-Encoding" not in plain.headers
    icon = client.get("/favicon.ico", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in icon.headers  # pictures are compressed already


def test_there_is_a_favicon_and_every_page_names_it(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype in {"image/vnd.microsoft.icon", "image/x-icon"}
    assert icon.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file, not the HTML 404 page
    assert "max-age" in icon.headers["Cache-Control"]
    page = outline(client.get("/").get_data(as_text=True))
    [href] = [
        attrs["href"] for tag, attrs in page.tags if tag == "link" and attrs.get("rel") == "icon"
    ]
    svg = client.get(href)
    assert svg.status_code == 200 and svg.get_data().startswith(b"<svg")


def test_the_shared_macros_read_only_globals_and_are_imported_without_context(app):
    """templates/macros.html reads only what every template has (`_`, `ngettext`,
    `language_names`, `url_for`, filters), so it is imported without the page's context: an
    import `with context` builds the whole module again on every page (a lesson page did it
    twice). Its macros write the same without a page's context as with one."""
    from pathlib import Path

    from flask import render_template_string

    from app.core.i18n import localise

    root = Path(app.root_path)
    importing = re.compile(r'{%-?\s*(from|import)\s+"macros\.html".*?with context', re.S)
    found = [
        str(p.relative_to(root)) for p in root.rglob("*.html") if importing.search(p.read_text())
    ]
    assert found == []
    call = '{% from "macros.html" import text, fallback_note, course_facts %}'
    call += "{{ text(value) }}{{ fallback_note(value) }}{{ course_facts(course) }}"
    course = {"kind": "tutor_led", "hours": 3, "languages": ["es", "pt"]}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        value = localise({"pt": "Só <b>"}, "pt")
        plain = render_template_string(call, value=value, course=course)
        with_context = render_template_string(
            call.replace("course_facts %}", "course_facts with context %}"),
            value=value,
            course=course,
        )
    assert plain == with_context
    assert '<span lang="pt">Só &lt;b&gt;</span>' in plain and "3 hours" in plain
