"""The observatory of experiences: coordinators draft, administrators review, everyone reads."""

import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.db import utcnow
from app.extensions import db
from app.observatory import services
from app.observatory.models import Entry, EntryFile, EntryState
from tests.conftest import login, outbox, post_form
from tests.learning.helpers import counting_queries
from tests.test_access import TINY_PDF, make_coordinator, published_entry

ATOM = "{http://www.w3.org/2005/Atom}"


def entry_form(**changes):
    data = {
        "title_es": "Formación dual en la pandemia",
        "summary_es": "Cómo siguió la formación dual.",
        "body_es": "## Qué hicimos\n\nClases **en línea**.",
        "country": "CO",
        "themes": ["apprenticeship", "distance"],
        "audience": "instructors",
        "period_from": "2020",
        "period_to": "2021",
        "links": "https://example.org/guia Guía completa",
    }
    data.update(changes)
    return data


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def first(institutions):
    return institutions[0]


@pytest.fixture
def second(institutions):
    return institutions[1]


@pytest.fixture
def coordinator(make_user, first):
    return make_coordinator(make_user, first, email="coord@example.org")


def new_entry(client, institution, **changes):
    url = f"/institution/{institution.id}/experiences/new"
    return post_form(client, url, entry_form(**changes))


def test_draft_review_publish_journey(app, client, coordinator, first, login_as, make_user):
    login(client, coordinator)
    hostile = (
        "<script>alert(1)</script>\n\n[click](javascript:alert(1)) "
        "![tracker](https://evil.example/pixel.gif) <img src=x onerror=alert(1)>"
    )
    response = new_entry(client, first, body_es=hostile)
    assert response.status_code == 302
    entry = db.session.scalar(select(Entry))
    html = entry.body_html["es"]
    # Markup is shown as text: no script, no javascript: link, no event handler in a tag.
    assert "<script" not in html and 'href="javascript' not in html
    assert not re.search(r"<[^>]*onerror", html)
    assert "evil.example" not in html  # no pictures from elsewhere
    assert entry.state == EntryState.DRAFT and entry.themes == ",apprenticeship,distance,"
    assert entry.links == [{"url": "https://example.org/guia", "label": "Guía completa"}]
    edit_url = f"/institution/{first.id}/experiences/{entry.id}"
    # A draft is not public.
    assert client.get(f"/observatory/{entry.id}").status_code == 404
    post_form(client, f"{edit_url}/submit", {}, form_page=edit_url)
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).state == EntryState.SUBMITTED
    # Waiting for review: the coordinator cannot change it.
    post_form(client, edit_url, entry_form(title_es="Cambiado"))
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).title["es"] == "Formación dual en la pandemia"

    admin = make_user(role=Role.ADMIN, email="admin@example.org")
    admin_client = app.test_client()
    login(admin_client, admin)
    review = f"/admin/observatory/{entry.id}"
    post_form(
        admin_client, f"{review}/return", {"comment": "Añadan la guía en PDF."}, form_page=review
    )
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).state == EntryState.RETURNED

    page = client.get(edit_url).get_data(as_text=True)
    assert "Añadan la guía en PDF." in page
    (told,) = outbox(coordinator.email)
    assert "Añadan la guía en PDF." in told.body and edit_url in told.body
    response = client.post(
        f"{edit_url}/files",
        data={"csrf_token": csrf(client, edit_url), "file": (io.BytesIO(TINY_PDF), "guía.pdf")},
    )
    assert response.status_code == 302
    post_form(client, f"{edit_url}/submit", {}, form_page=edit_url)

    post_form(admin_client, f"{review}/publish", {}, form_page=review)
    db.session.expire_all()
    published = db.session.get(Entry, entry.id)
    assert published.state == EntryState.PUBLISHED and published.published_at
    assert f"/observatory/{entry.id}" in outbox(coordinator.email)[-1].body

    anonymous = app.test_client()
    page = anonymous.get(f"/observatory/{entry.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Formación dual en la pandemia" in text and f"/observatory/{entry.id}" in text
    assert "Formación dual en la pandemia" in anonymous.get("/observatory/").get_data(as_text=True)
    download = anonymous.get(f"/observatory/{entry.id}/files/{published.files[0].id}")
    assert download.status_code == 200 and download.data == TINY_PDF
    assert download.headers["Content-Disposition"].startswith("attachment")


def csrf(client, url):
    from tests.conftest import csrf_token

    return csrf_token(client, url)


@pytest.mark.parametrize(
    "changes",
    [
        {"title_es": "", "summary_es": ""},  # no language at all
        {"summary_es": ""},  # a title without a summary
        {"title_es": "x" * 201},
        {"title_es": "Con\x00nulo"},
        {"body_es": "a" * 50_001},
        {"themes": ["not-a-theme"]},
        {"themes": []},
        {"country": "XX"},
        {"audience": "robots"},
        {"period_from": "2022", "period_to": "2020"},
        {"links": "javascript:alert(1)"},
        {"links": "\n".join(f"https://example.org/{n}" for n in range(11))},
    ],
)
def test_bad_entries_are_refused_and_nothing_is_stored(client, coordinator, first, changes):
    login(client, coordinator)
    response = new_entry(client, first, **changes)
    assert response.status_code == 200
    assert count(Entry) == 0


@pytest.mark.parametrize(
    "name, data",
    [
        ("guide.pdf", b"<html><body><script>alert(1)</script></body></html>"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("guide.pdf", b""),
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 200),
    ],
)
def test_disguised_files_are_refused(client, coordinator, first, name, data):
    login(client, coordinator)
    new_entry(client, first)
    entry = db.session.scalar(select(Entry))
    url = f"/institution/{first.id}/experiences/{entry.id}"
    client.post(
        f"{url}/files", data={"csrf_token": csrf(client, url), "file": (io.BytesIO(data), name)}
    )
    assert count(EntryFile) == 0


def test_another_institution_reaches_no_draft_or_file(
    app, client, coordinator, first, second, make_user
):
    login(client, coordinator)
    new_entry(client, first)
    entry = db.session.scalar(select(Entry))
    services.add_file(entry, "guia.pdf", TINY_PDF)
    db.session.commit()
    file_url = f"/observatory/{entry.id}/files/{entry.files[0].id}"
    assert client.get(file_url).status_code == 200  # its own coordinator may read it
    other = make_coordinator(make_user, second, email="other@example.org")
    client = app.test_client()
    login(client, other)
    assert client.get(file_url).status_code == 404
    # Through their own institution's URL, the other entry is not found.
    own_url = f"/institution/{second.id}/experiences/{entry.id}"
    assert client.get(own_url).status_code == 404
    response = post_form(
        client,
        own_url,
        entry_form(title_es="Robado"),
        form_page=f"/institution/{second.id}/experiences",
    )
    assert response.status_code == 404
    assert app.test_client().get(file_url).status_code == 404


def test_filters_and_search(app, first, second, make_user):
    author = make_user()
    published_entry(first, author, title="Aprendizaje dual en pandemia")
    other = published_entry(second, author, title="Seguridad en talleres")
    other.themes, other.country_code = ",osh,", "BR"
    other.search_text = services.fold("Seguridad en talleres SENAI")
    db.session.commit()
    client = app.test_client()

    def titles(query):
        page = client.get(f"/observatory/?{query}").get_data(as_text=True)
        return [t for t in ("Aprendizaje dual", "Seguridad en talleres") if t in page]

    assert titles("") == ["Aprendizaje dual", "Seguridad en talleres"]
    assert titles("country=BR") == ["Seguridad en talleres"]
    assert titles("theme=osh") == ["Seguridad en talleres"]
    assert titles(f"institution={first.id}") == ["Aprendizaje dual"]
    assert titles("q=APRENDÍZAJE") == ["Aprendizaje dual"]  # accents and case do not count
    assert titles("q=aprendiz") == ["Aprendizaje dual"]  # the start of a word is enough
    assert titles("q=dual+pandemia") == ["Aprendizaje dual"]  # every word must be there
    assert titles("q=dual+talleres") == []
    assert titles("q=senai") == ["Seguridad en talleres"]  # the institution's name counts
    assert titles("q=%25") == []  # punctuation alone, LIKE's wildcards too, matches nothing
    assert titles("q=_") == [] and titles("q=%27%29%3A*%26%7C") == []
    assert titles("language=pt") == []
    everything = titles("")
    for odd in ("%C2%B2", "9" * 5000, str(2**31), "0"):
        assert titles(f"institution={odd}") == everything  # not an id: no filter
    assert titles("country=<script>&theme=x&institution=abc") == [
        "Aprendizaje dual",
        "Seguridad en talleres",
    ]  # unknown filter values are dropped


def test_language_fallback_and_versions(app, first, make_user):
    author = make_user()
    entry = services.save_entry(
        None, first,
        services.EntryDraft(
            texts={
                "pt": services.EntryTexts("Aprendizagem", "Resumo em português", ""),
                "en": services.EntryTexts("Apprenticeship", "Summary in English", ""),
            },
            country_code="BR", themes=["apprenticeship"], audience="everyone",
        ),
        author,
    )  # fmt: skip
    services.submit_entry(entry)
    services.publish_entry(entry, author)
    db.session.commit()
    client = app.test_client()
    english = client.get(f"/observatory/{entry.id}", headers={"Accept-Language": "en"})
    assert "Summary in English" in english.get_data(as_text=True)
    spanish = client.get(f"/observatory/{entry.id}", headers={"Accept-Language": "es"})
    page = spanish.get_data(as_text=True)
    assert "Resumo em português" in page and 'lang="pt"' in page  # its main language
    assert "Summary in English" in client.get(
        f"/observatory/{entry.id}?lang=en", headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    assert entry.language_list == ["pt", "en"]
    listing = client.get("/observatory/?language=en").get_data(as_text=True)
    assert "Apprenticeship" in listing or "Aprendizagem" in listing


def test_the_atom_feed_lists_published_entries(app, first, make_user):
    author = make_user()
    entry = published_entry(first, author, title="Entrada <con> & marcas")
    services.save_entry(
        None, first,
        services.EntryDraft(
            texts={"es": services.EntryTexts("Borrador secreto", "x", "")},
            country_code="CO", themes=["osh"], audience="everyone",
        ),
        author,
    )  # fmt: skip
    db.session.commit()
    response = app.test_client().get("/observatory/feed.atom")
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.data)  # noqa: S314 (our own feed)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Entrada <con> & marcas"]
    assert entries[0].find(f"{ATOM}id").text.endswith(f"/observatory/{entry.id}")


@pytest.mark.parametrize(
    "locale, heading",
    [("es", "Observatorio de experiencias"), ("pt", "Observatório de experiências"),
     ("en", "Observatory of experiences")],
)  # fmt: skip
def test_public_pages_speak_each_language(app, first, make_user, locale, heading):
    entry = published_entry(first, make_user())
    db.session.commit()
    client = app.test_client()
    for url in ("/observatory/", f"/observatory/{entry.id}"):
        page = client.get(url, headers={"Accept-Language": locale}).get_data(as_text=True)
        assert heading in page and f'<html lang="{locale}">' in page


def add_published(institution, author, n: int):
    """n published entries, written directly (the service's rendering is tested above)."""
    now = utcnow()
    for k in range(n):
        db.session.add(
            Entry(
                institution_id=institution.id, state=EntryState.PUBLISHED,
                main_language="es", languages=",es,",
                title={"es": f"Experiencia número {k}"},
                summary={"es": "Un resumen de la experiencia, " * 30},
                body={"es": "Texto"}, body_html={"es": "<p>Texto</p>"},
                country_code=institution.country_code, themes=",osh,", audience="everyone",
                links=[], search_text=f"experiencia numero {k}", created_by_id=author.id,
                published_at=now,
            )
        )  # fmt: skip
    db.session.commit()


def page_queries(client, urls):
    counts = {}
    for url in urls:
        with counting_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(statements)
    return counts


def test_public_pages_keep_their_queries_and_weight_from_10_to_1000(app, first, make_user):
    author = make_user()
    entry = published_entry(first, author)
    add_published(first, author, 9)
    client = app.test_client()
    urls = ["/observatory/", "/observatory/?theme=osh&q=experiencia", "/observatory/feed.atom",
            f"/observatory/{entry.id}", "/observatory/?page=2"]  # fmt: skip
    page_queries(client, urls)
    few = page_queries(client, urls)
    add_published(first, author, 990)
    many = page_queries(client, urls)
    assert few == many
    assert all(n <= 8 for n in many.values()), many
    for url in ("/observatory/", f"/observatory/{entry.id}"):
        size = len(client.get(url, headers={"Accept-Encoding": "identity"}).data)
        assert size < 30_000, (url, size)


def test_search_goes_through_the_full_text_index(app, first, make_user):
    published_entry(first, make_user())
    db.session.commit()
    statement = services.published_query(services.Filters(q="Aprendizaje DUAL"))
    assert len(db.session.execute(statement).all()) == 1
    if db.engine.dialect.name == "postgresql":
        # The search condition is written as the index's expression, so the index answers it.
        terms = services.search_terms("aprendizaje dual")
        matching = select(Entry.id).where(services._matches(terms))
        compiled = matching.compile(db.engine, compile_kwargs={"literal_binds": True})
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in db.session.execute(sa.text(f"EXPLAIN {compiled}")))
        assert "ix_observatory_entry_search" in plan, plan
    else:
        # SQLite answers from its FTS5 index (kept by triggers), not by reading every entry.
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        rows = db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        plan = "\n".join(row[-1] for row in rows)
        assert "VIRTUAL TABLE INDEX" in plan and "observatory_entry_fts" in plan, plan


def test_coordinators_and_review_pages_keep_their_queries(app, first, make_user):
    author = make_coordinator(make_user, first)
    entry = published_entry(first, author)
    add_published(first, author, 4)
    admin, coordinator = app.test_client(), app.test_client()
    login(admin, make_user(role=Role.ADMIN))
    login(coordinator, author)
    pages = [
        (admin, "/admin/observatory/"),
        (admin, f"/admin/observatory/{entry.id}"),
        (coordinator, f"/institution/{first.id}/experiences"),
        (coordinator, f"/institution/{first.id}/experiences/{entry.id}"),
    ]

    def queries():
        counts = []
        for client, url in pages:
            with counting_queries() as statements:
                assert client.get(url).status_code == 200, url
            counts.append(len(statements))
        return counts

    queries()
    few = queries()
    add_published(first, author, 60)
    assert queries() == few


def test_guides_larger_than_a_form_are_accepted_up_to_the_file_limit(
    app, client, coordinator, first
):
    login(client, coordinator)
    new_entry(client, first)
    entry = db.session.scalar(select(Entry))
    url = f"/institution/{first.id}/experiences/{entry.id}"
    limit = app.config["CAPSTONE_MAX_FILE_BYTES"]
    guide = TINY_PDF + b"%" + b"0" * (5 * 1024 * 1024)  # 5 MB: more than a form's 2 MB
    response = client.post(
        f"{url}/files", data={"csrf_token": csrf(client, url), "file": (io.BytesIO(guide), "g.pdf")}
    )
    assert response.status_code == 302 and count(EntryFile) == 1
    too_big = TINY_PDF + b"%" + b"0" * (limit + 2 * 1024 * 1024)
    response = client.post(
        f"{url}/files",
        data={"csrf_token": csrf(client, url), "file": (io.BytesIO(too_big), "big.pdf")},
    )
    assert response.status_code == 413 and count(EntryFile) == 1
    # Without its form token, even a small file is refused.
    response = client.post(f"{url}/files", data={"file": (io.BytesIO(TINY_PDF), "g2.pdf")})
    assert response.status_code == 400 and count(EntryFile) == 1


def test_citations_and_the_feed_use_the_sites_own_address(app, first, make_user):
    entry = published_entry(first, make_user())
    db.session.commit()
    client = app.test_client()
    base = app.config["BASE_URL"]
    page = client.get(f"/observatory/{entry.id}", headers={"Host": "evil.example"})
    text = page.get_data(as_text=True)
    assert f"{base}/observatory/{entry.id}" in text and "evil.example" not in text
    feed = client.get("/observatory/feed.atom", headers={"Host": "evil.example"}).data
    assert b"evil.example" not in feed and f"{base}/observatory/{entry.id}".encode() in feed


def test_the_entries_where_the_words_weigh_most_come_first(app, first, make_user):
    """PostgreSQL ranks by ts_rank, SQLite by FTS5's bm25; then the newest."""
    author = make_user()
    once = published_entry(first, author, title="Aprendizaje dual")
    often = published_entry(first, author, title="Formación en talleres")
    often.search_text = services.fold("dual dual dual formacion dual en talleres")
    once.published_at = often.published_at + timedelta(days=1)  # the newer one
    db.session.commit()
    found = db.session.scalars(services.published_query(services.Filters(q="dual"))).all()
    assert [e.id for e in found] == [often.id, once.id]
