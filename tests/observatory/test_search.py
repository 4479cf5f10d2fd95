"""Searching the observatory with the database's own full-text search (PostgreSQL's text
search, SQLite's FTS5 index kept by triggers): a word finds published entries in any of their
languages, accents and case folded, by the start of a word; the person's words are never
query syntax; drafts and entries sent back are never found, and the index follows every edit.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Institution
from app.extensions import db
from app.observatory import services
from app.observatory.models import SEARCH_INDEX, Entry


@pytest.fixture
def first(app):
    """An institution whose names hold none of the words searched here (they count too)."""
    institution = Institution(
        acronym="IQX", name_es="Instituto Qx", name_pt="Instituto Qx", name_en="Qx Institute",
        country_code="UY",
    )  # fmt: skip
    db.session.add(institution)
    db.session.commit()
    return institution


@pytest.fixture
def author(make_user):
    return make_user()


def entry_in(institution, author, texts: dict, *, publish=True, submit=True) -> Entry:
    """An entry written in the given languages ({"es": (title, summary, body)})."""
    draft = services.EntryDraft(
        texts={code: services.EntryTexts(*parts) for code, parts in texts.items()},
        country_code=institution.country_code,
        themes=["apprenticeship"],
        audience="everyone",
    )
    entry = services.save_entry(None, institution, draft, author)
    if submit:
        services.submit_entry(entry)
    if publish:
        services.publish_entry(entry, author)
    db.session.flush()
    return entry


def found(words: str) -> list[int]:
    """The ids of the entries the public search lists for the words, in its order."""
    statement = services.published_query(services.Filters(q=words))
    return list(db.session.scalars(statement))


def ids(entries) -> list[int]:
    return [entry.id for entry in entries]


def search_page(client, words: str) -> str:
    response = client.get("/observatory/", query_string={"q": words})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Observatorio de experiencias" in page  # the normal page, not an error
    return page


def test_a_word_finds_entries_in_any_of_their_languages(app, first, author):
    entry = entry_in(
        first, author,
        {"es": ("Formación dual", "Aprendices en empresas", "Talleres móviles"),
         "pt": ("Formação dual", "Aprendizes nas empresas", "Oficinas itinerantes"),
         "en": ("Dual training", "Apprentices in companies", "Mobile workshops")},
    )  # fmt: skip
    other = entry_in(first, author, {"es": ("Obras seguras", "Prevención de riesgos", "")})
    db.session.commit()
    # A word of each language finds the entry, whatever the reader's language.
    for words in ("talleres", "oficinas", "workshops", "itinerantes empresas"):
        assert ids(found(words)) == [entry.id], words
    # Accents and case are folded, in the words and in the entries.
    assert ids(found("FORMACAO")) == [entry.id]
    assert ids(found("formación")) == [entry.id]
    assert ids(found("PREVENCION")) == [other.id]
    assert ids(found("Prevénción")) == [other.id]
    # The start of a word is enough; every word must be there.
    assert ids(found("aprendi")) == [entry.id]
    assert sorted(ids(found("qx"))) == sorted([other.id, entry.id])  # names count too
    assert ids(found("ofic itin")) == [entry.id]
    assert found("oficinas seguridad") == []
    # The same through the public page.
    page = search_page(app.test_client(), "Oficinas")
    assert "Formación dual" in page and "Obras seguras" not in page


HOSTILE = [
    '"', '""', '"oficinas', "*", "oficinas*", "NEAR(oficinas talleres)", "NEAR", "a OR b",
    "OR", "AND", "NOT", "-", "-oficinas", "(", ")", "(oficinas", "search_text:oficinas",
    "{search_text}: x", "^oficinas", "oficinas + talleres", "'; DROP TABLE observatory_entry; --",
    "%", "_", "\\", "🙂", "!!! ??? ...", "x" * 1_000_000, "oficinas " * 100_000,
]  # fmt: skip


@pytest.mark.parametrize("words", HOSTILE, ids=lambda w: repr(w[:20]))
def test_query_syntax_in_the_words_is_only_text(app, first, author, words):
    entry_in(first, author, {"pt": ("Oficinas", "Oficinas itinerantes", "")})
    db.session.commit()
    page = search_page(app.test_client(), words)
    assert db.session.scalar(select(func.count(Entry.id))) == 1
    # Operators are words like any other: only the entries holding them match.
    if words in ("NEAR", "OR", "AND", "NOT", "*", "-", "(", "%", "_", "!!! ??? ..."):
        assert "Oficinas itinerantes" not in page


def test_operator_words_match_as_words(app, first, author):
    near = entry_in(first, author, {"en": ("Near and far", "Not only OR but AND", "")})
    entry_in(first, author, {"en": ("Elsewhere", "Something else", "")})
    db.session.commit()
    for words in ("near", "NEAR", "not", "OR", "and", "near far", "NEAR(far)"):
        assert ids(found(words)) == [near.id], words


def test_drafts_and_entries_not_published_are_never_found(app, first, author):
    words = ("Huerta escolar", "Huerta en el patio", "")
    entry_in(first, author, {"es": words}, submit=False, publish=False)  # a draft
    entry_in(first, author, {"es": words}, publish=False)  # waiting for review
    returned = entry_in(first, author, {"es": words})
    services.return_entry(returned, author, "Falta la guía.")
    db.session.commit()
    assert found("huerta") == []
    assert "Huerta" not in search_page(app.test_client(), "huerta")


def test_the_index_follows_edits_and_withdrawals(app, first, author):
    entry = entry_in(first, author, {"es": ("Huerta escolar", "Huerta en el patio", "")})
    db.session.commit()
    assert ids(found("huerta")) == [entry.id]
    # Sent back (withdrawn from the public): no longer found.
    services.return_entry(entry, author, "Cambien el título.")
    db.session.commit()
    assert found("huerta") == []
    # Edited: the old words leave the index, the new ones enter it.
    draft = services.EntryDraft(
        texts={"es": services.EntryTexts("Invernadero", "Un invernadero escolar", "")},
        country_code=first.country_code, themes=["green"], audience="everyone",
    )  # fmt: skip
    services.save_entry(entry, first, draft, author)
    services.submit_entry(entry)
    services.publish_entry(entry, author)
    db.session.commit()
    assert found("huerta") == [] and ids(found("invernadero")) == [entry.id]
    if db.engine.dialect.name == "sqlite":
        # The index itself, published or not, holds only the entry's current text.
        def indexed(words):
            matching = SEARCH_INDEX.matching(services.search_terms(words))
            return list(db.session.scalars(select(matching.c.id)))

        assert indexed("huerta") == [] and indexed("invernadero") == [entry.id]
        db.session.delete(entry)
        db.session.commit()
        assert indexed("invernadero") == []


def test_the_entries_where_the_words_weigh_most_come_first_then_the_newest(app, first, author):
    once = entry_in(first, author, {"es": ("Aprendizaje dual", "Un resumen largo " * 5, "")})
    often = entry_in(first, author, {"es": ("Dual", "Dual, dual y dual", "")})
    also_once = entry_in(first, author, {"es": ("Aprendizaje dual", "Un resumen largo " * 5, "")})
    now = often.published_at
    often.published_at = now - timedelta(days=30)  # the oldest, yet the words weigh most
    once.published_at = now - timedelta(days=2)
    also_once.published_at = now - timedelta(days=1)
    db.session.commit()
    assert ids(found("dual")) == [often.id, also_once.id, once.id]
    assert ids(found("")) == [also_once.id, once.id, often.id]  # no words: the newest first


def test_a_search_pages_through_all_its_matches(app, first, author):
    """The count of matches and the pages agree (the pager counts the same query)."""
    for n in range(25):
        entry_in(first, author, {"es": (f"Experiencia dual número {n}", "Resumen", "")})
    entry_in(first, author, {"es": ("Otra cosa", "Resumen", "")})
    db.session.commit()
    client = app.test_client()
    pages = [
        client.get("/observatory/", query_string={"q": "dual", "page": page}).get_data(as_text=True)
        for page in (1, 2)
    ]
    shown = {n for n in range(25) for page in pages if f"Experiencia dual número {n}<" in page}
    assert shown == set(range(25))
    assert all("Otra cosa" not in page for page in pages)
