"""Three complete catalogs, kept in step with the code, and pages in the visitor's language."""

import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.accounts.models import Role
from app.extensions import db
from tests.conftest import post_form
from tests.seasons.factories import enroll

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("es", "pt", "en")


def extracted_msgids() -> set:
    """Every message the code and templates mark for translation, extracted afresh."""
    method_map = [
        ("**.py", "python"),
        ("**/templates/**.html", "jinja2"),
        ("**/templates/**.txt", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    # The certificate designs print in the learner's language too.
    designs = [("**/certificate.html", "jinja2")]
    for folder, methods in ((ROOT / "app", method_map), (ROOT / "certificates", designs)):
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(folder), method_map=methods, keywords=keywords
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language):
    with (ROOT / "app" / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


@pytest.fixture(scope="module")
def source_msgids():
    return extracted_msgids()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_translates_every_message_in_the_code(language, source_msgids):
    po = catalog(language)
    translated = {}
    for message in po:
        if not message.id or message.fuzzy:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            translated[key] = strings
    missing = sorted(source_msgids - set(translated))
    assert not missing, f"{language}: untranslated or fuzzy messages: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_has_no_stale_messages(language, source_msgids):
    po_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(language) if m.id}
    stale = sorted(po_ids - source_msgids)
    assert not stale, (
        f"{language}: messages no longer in the code (run make update-catalogs): {stale}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language):
    for message in catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(re.findall(r"%\(\w+\)s", ids[-1]))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)s", string)) == expected, (language, message.id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_is_up_to_date(language):
    """`make setup` compiles the catalogs; a stale .mo would show old text."""
    mo_path = ROOT / "app" / "translations" / language / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "run make translations"
    with mo_path.open("rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if isinstance(m.id, str) and m.id}
    for message in catalog(language):
        if message.id and not isinstance(message.id, tuple):
            assert compiled.get(message.id) == message.string, (language, message.id)


# Pages -------------------------------------------------------------------------------

ANONYMOUS_PAGES = [
    "/courses",
    "/courses/small-example",
    "/",
    "/login",
    "/register",
    "/forgot-password",
    "/register/check-email",
    "/privacy",
    "/no-such-page",
    "/observatory/",
    "/distance-courses/",
    "/network/numbers",
]
SIGNED_IN_PAGES = [
    "/",
    "/account/profile",
    "/account/password",
    "/account/sessions",
    "/account/security",
    "/account/two-factor",
    "/account/two-factor/app",
    "/account/privacy",
    "/account/delete",
    "/admin/",
    "/admin/security-log",
    "/admin/people",
    "/admin/people/{user_id}",
    "/admin/institutions",
    "/admin/institutions/new",
    "/admin/institutions/{institution_id}",
    "/admin/outbox",
    "/admin/observatory/",
    "/admin/surveys/",
    "/admin/institutions/{institution_id}/coordinators",
    "/institution/{institution_id}",
    "/institution/{institution_id}/participation",
    "/institution/{institution_id}/experiences",
    "/institution/{institution_id}/experiences/new",
    "/institution/{institution_id}/surveys",
    "/institution/{institution_id}/courses",
    "/institution/{institution_id}/courses/new",
    "/dashboard",
    "/learn/small-example",
    "/learn/small-example/welcome",
    "/learn/small-example/guide",
    "/learn/small-example/basics-quiz",
]


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'(value|content)="[^"]*"', " ", page)  # form values echo user input
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def english_leftovers(page: str, language: str) -> list[str]:
    """English source messages that should have been translated but show on the page."""
    text = " ".join(visible_text(page).split())
    leftovers = []
    for message in catalog(language):
        if not message.id or isinstance(message.id, tuple) or "%(" in message.id:
            continue
        translated = message.string and message.string != message.id and len(message.id) >= 8
        if translated and message.id in text and message.string not in text:
            leftovers.append(message.id)
    return leftovers


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_page_renders_translated(client, institutions, login_as, language, small_course):
    pages = []
    for url in ANONYMOUS_PAGES:
        pages.append((url, client.get(url, headers={"Accept-Language": language})))
    admin = login_as(Role.ADMIN, locale=language)
    enroll(admin, small_course)
    db.session.commit()
    for url in SIGNED_IN_PAGES:
        url = url.format(user_id=admin.id, institution_id=institutions[0].id)
        pages.append((url, client.get(url)))
    for url, response in pages:
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 404), url
        assert f'<html lang="{language}">' in body, url
        assert english_leftovers(body, language) == [], url


def test_english_pages_say_english(client):
    body = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(True)
    assert '<html lang="en">' in body and "I forgot my password" in body


def test_language_comes_from_preference_then_switcher_then_browser(client, make_user):
    # Browser only.
    assert 'lang="pt"' in client.get("/", headers={"Accept-Language": "pt"}).get_data(True)
    # The switcher beats the browser.
    post_form(client, "/language", {"locale": "en"}, form_page="/")
    assert 'lang="en"' in client.get("/", headers={"Accept-Language": "pt"}).get_data(True)
    # A signed-in user's preference beats both.
    user = make_user(locale="es")
    post_form(client, "/login", {"email": user.email, "password": "lapiz naranja montaña 7"})
    client.set_cookie("aula", client.get_cookie("aula").value)
    assert 'lang="es"' in client.get("/", headers={"Accept-Language": "pt"}).get_data(True)


def test_the_switcher_saves_a_signed_in_users_preference(client, login_as):
    user = login_as(Role.LEARNER, locale="es")
    response = post_form(
        client, "/language", {"locale": "pt", "next": "/account/profile"}, form_page="/"
    )
    assert response.headers["Location"] == "/account/profile"
    db.session.expire_all()
    assert db.session.get(type(user), user.id).locale == "pt"


def test_unknown_language_is_ignored(client):
    post_form(client, "/language", {"locale": "xx"}, form_page="/")
    assert 'lang="es"' in client.get("/", headers={"Accept-Language": "es"}).get_data(True)


def test_dates_and_numbers_follow_the_locale(client, login_as, make_user):
    from datetime import UTC, datetime

    admin = login_as(Role.ADMIN, locale="en")
    person = make_user()
    person.created_at = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    db.session.commit()
    english = client.get(f"/admin/people/{person.id}").get_data(True)
    assert "Mar 9, 2026" in english
    admin = db.session.get(type(admin), admin.id)
    admin.locale = "es"
    db.session.commit()
    spanish = client.get(f"/admin/people/{person.id}").get_data(True)
    assert "9 mar 2026" in spanish


@pytest.mark.parametrize(
    ("language", "before", "after"),
    [("es", "Bélgica", "Bután"), ("pt", "Áustria", "Azerbaijão"), ("es", "Islandia", "Israel")],
)
def test_the_registration_country_list_is_in_dictionary_order(client, language, before, after):
    page = client.get("/register", headers={"Accept-Language": language}).get_data(as_text=True)
    options = re.findall(r"<option value=\"[A-Z]{2}\"[^>]*>([^<]+)</option>", page)
    names = [html.unescape(name) for name in options]
    assert before in names and after in names
    assert names.index(before) < names.index(after)


def test_text_html_writes_what_the_text_macro_writes(app):
    """A localised text written in Python (kept parts, the tutor queue's titles) is the same
    markup the templates' `text` macro writes: a fallback marked with its language, both
    escaped."""
    from flask import render_template_string

    from app.core.i18n import localise, text_html

    texts = [
        ({"es": "Seguridad <y> salud & \"trabajo\" 'ya'"}, "es"),
        ({"pt": "Só em <português>"}, "pt"),
        ({"en": "Only English"}, "en"),
        ({}, "es"),
    ]
    with app.test_request_context(headers={"Accept-Language": "es"}):
        for value, main in texts:
            shown = localise(value, main)
            written = render_template_string(
                '{% from "macros.html" import text %}{{ text(value) }}', value=shown
            )
            assert text_html(shown) == written, value
        assert str(text_html(localise({"pt": "<b>"}, "pt"))) == '<span lang="pt">&lt;b&gt;</span>'
