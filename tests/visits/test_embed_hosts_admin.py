"""The administrators' allow-list of embed hosts: every bad list is refused with a clear,
translated error beside the field, the text typed comes back to be corrected, and nothing is
saved; a good list is saved, and the visit pages and their CSP follow it."""

import html

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.visits import services
from app.visits.embeds import DEFAULT_EMBED_HOSTS
from tests.conftest import csrf_token, post_form
from tests.learning.helpers import SMALL, enroll_directly, main_of

URL = "/admin/study-visits/embeds"
EMBED_PAGE = f"/learn/{SMALL}/visit-embed"


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)  # reads Spanish


def save(client, text):
    return post_form(client, URL, {"hosts": text})


def error_of(page: str) -> str:
    start = page.index('id="hosts-error"')
    return html.unescape(page[start : page.index("</p>", start)])


def textarea_of(page: str) -> str:
    start = page.index("<textarea")
    start = page.index(">", start) + 1
    text = html.unescape(page[start : page.index("</textarea>", start)])
    return text.removeprefix("\r\n").removeprefix("\n")  # as browsers drop the first newline


BAD_LISTS = {
    "empty": ("", "Indique al menos un sitio."),
    "blank lines only": ("   \n\t\n", "Indique al menos un sitio."),
    "scheme in host": ("https://kuula.co", "sin «https://»"),
    "http scheme": ("http://www.youtube-nocookie.com", "sin «https://»"),
    "wildcard": ("*.youtube-nocookie.com", "No se admiten comodines"),
    "bare star": ("*", "No se admiten comodines"),
    "path": ("kuula.co/share", "sin ruta"),
    "port": ("kuula.co:443", "sin puerto"),
    "ip address": ("192.168.0.10", "no una dirección IP"),
    "single label": ("localhost", "No es un nombre de sitio"),
    "csp injection": ("kuula.co; frame-src evil.org", "No es un nombre de sitio"),
    "quote and space": ("kuula.co 'unsafe-inline'", "No es un nombre de sitio"),
    "markup": ("<script>alert(1)</script>", "sin ruta"),
    "attribute": ('"><img src=x onerror=alert(1)>', "No es un nombre de sitio"),
    "control character": ("kuula.co\x00evil.org", "No es un nombre de sitio"),
    "non-ascii": ("exämple.org", "forma ASCII (xn--)"),
    "label too long": ("a" * 64 + ".org", "No es un nombre de sitio"),
    "huge": ("a" * 10_000, "Como máximo 5000 caracteres"),
    "too many hosts": ("\n".join(f"h{n}.example.org" for n in range(60)), "Como máximo 50 sitios"),
    "one bad line among good": ("kuula.co\nwww.youtube-nocookie.com\n*.evil.org", "Línea 3"),
}


@pytest.mark.parametrize("case", BAD_LISTS, ids=list(BAD_LISTS))
def test_a_bad_list_is_refused_clearly_and_nothing_is_saved(client, admin, case):
    text, message = BAD_LISTS[case]
    response = save(client, text)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in error_of(page), error_of(page)
    assert 'aria-describedby="hosts-help hosts-error"' in page
    assert "<script>alert" not in page and "<img src=x" not in page  # escaped, never echoed raw
    if "\x00" not in text and len(text) < 6000:
        assert textarea_of(page) == text.replace("\r", "")  # what was typed is kept
    assert services.allowed_hosts() == DEFAULT_EMBED_HOSTS  # nothing saved


def test_a_good_list_is_saved_trimmed_lowercased_and_deduplicated(client, admin):
    response = save(client, "  Kuula.co \n\nwww.youtube-nocookie.com\nKUULA.CO\ntours.example.org")
    assert response.status_code == 302
    db.session.expire_all()
    assert services.allowed_hosts() == ("kuula.co", "tours.example.org", "www.youtube-nocookie.com")
    page = client.get(URL).get_data(as_text=True)
    assert textarea_of(page) == "kuula.co\ntours.example.org\nwww.youtube-nocookie.com"


def test_a_post_without_the_form_token_saves_nothing(client, admin):
    csrf_token(client, URL)
    response = client.post(URL, data={"hosts": "evil.example.org"})
    assert response.status_code == 400
    assert services.allowed_hosts() == DEFAULT_EMBED_HOSTS


def test_only_administrators_reach_the_page(client, login_as):
    login_as(Role.LEARNER)
    assert client.get(URL).status_code == 403
    token = csrf_token(client, "/")
    assert (
        client.post(URL, data={"hosts": "evil.example.org", "csrf_token": token}).status_code == 403
    )
    assert services.allowed_hosts() == DEFAULT_EMBED_HOSTS


def test_the_embed_page_follows_the_list(app, client, admin, small_course):
    enroll_directly(admin, small_course)
    db.session.commit()
    response = client.get(EMBED_PAGE)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com;" in csp
    assert 'data-src="https://www.youtube-nocookie.com/embed/aula-example"' in main_of(
        response.get_data(as_text=True)
    )
    # The list page shows the visit and that it is shown.
    listing = client.get(URL).get_data(as_text=True)
    assert "Visita en video" in listing and "www.youtube-nocookie.com" in listing

    response = save(client, "kuula.co")
    assert response.status_code == 302
    follow = client.get(URL).get_data(as_text=True)
    assert "1 visita(s) de estudio insertan un recorrido de un sitio que ya no está" in follow
    assert "No: sitio fuera de la lista" in follow

    response = client.get(EMBED_PAGE)
    page = main_of(response.get_data(as_text=True))
    assert "frame-src 'none'" in response.headers["Content-Security-Policy"]
    assert "youtube" not in response.headers["Content-Security-Policy"]
    assert "data-src=" not in page and "tour.js" not in response.get_data(as_text=True)
    assert "no puede mostrarse aquí" in page
    # The visit can then be marked done by reading it.
    assert "Marcar como completado" in page
