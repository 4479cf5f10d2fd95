"""The network in numbers: public, counted by GROUP BY, drawn as SVG on the server."""

import pytest

from app.extensions import db
from app.numbers.services import network_numbers
from tests.learning.helpers import counting_queries
from tests.seasons.factories import enroll, make_season


def members(make_user, institutions, n):
    people = []
    for k in range(n):
        person = make_user()
        person.institution_id = institutions[k % 3].id
        person.country_code = institutions[k % 3].country_code
        people.append(person)
    db.session.commit()
    return people


def test_counts_per_season(app, make_user, institutions, small_course):
    for person in members(make_user, institutions, 4):
        enroll(person, small_course)
    make_season("A draft season", state="draft")  # drafts are not counted
    db.session.commit()
    numbers = network_numbers()
    assert [s.season.name for s in numbers.seasons] == ["Test season"]
    season = numbers.seasons[0]
    assert (season.learners, season.institutions, season.courses) == (4, 3, 1)
    assert numbers.institutions == len(institutions)
    by_country = {c.country_code: c for c in numbers.by_country}
    assert sum(c.learners for c in numbers.by_country) == 4
    assert by_country[institutions[0].country_code].institutions >= 1


@pytest.mark.parametrize("locale, heading", [
    ("es", "La red en números"), ("pt", "A rede em números"), ("en", "The network in numbers"),
])  # fmt: skip
def test_the_page_is_public_light_and_in_each_language(
    app, make_user, institutions, small_course, locale, heading
):
    for person in members(make_user, institutions, 3):
        enroll(person, small_course)
    db.session.commit()
    client = app.test_client()
    page = client.get(
        "/network/numbers", headers={"Accept-Language": locale, "Accept-Encoding": "identity"}
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and heading in text and "<svg" in text
    assert "<script" not in text and len(page.data) < 30_000


def test_queries_do_not_grow_with_learners_or_seasons(app, make_user, institutions, small_course):
    client = app.test_client()
    for person in members(make_user, institutions, 2):
        enroll(person, small_course)
    db.session.commit()
    client.get("/network/numbers")
    with counting_queries() as few:
        client.get("/network/numbers")
    for person in members(make_user, institutions, 40):
        enroll(person, small_course)
    make_season("Second season")
    db.session.commit()
    with counting_queries() as many:
        client.get("/network/numbers")
    assert len(few) == len(many) <= 10
