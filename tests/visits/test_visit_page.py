"""The study-visit page: light by default (text, key points, stills; the tour's text
version; the viewer and the tour only on request), readable with JavaScript off, framing
only its own allow-listed host, under 60 KB before the tour loads, in fixed SQL queries."""

import html
import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import Course, Item
from app.extensions import db
from app.visits.models import TourSceneView
from tests.conftest import login
from tests.learning.helpers import (
    SMALL,
    build_course,
    counting_queries,
    enroll_directly,
    import_season,
    main_of,
    tags_of,
)

HOSTED = f"/learn/{SMALL}/visit-hosted"
EMBED = f"/learn/{SMALL}/visit-embed"
LIMIT = 60 * 1024


@pytest.fixture
def learner(client, login_as, small_course):
    user = login_as(Role.LEARNER)
    enroll_directly(user, small_course)
    db.session.commit()
    return user


def csp_of(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in policy.split("; ")}


def text_of(page: str) -> str:
    """The visible text of the page's main part, as one line."""
    main = re.sub(r"<[^>]+>", " ", main_of(page))
    return " ".join(html.unescape(main).split())


def test_the_page_shows_the_visit_without_loading_the_tour(client, learner):
    page = client.get(HOSTED).get_data(as_text=True)
    main = main_of(page)
    text = text_of(page)
    assert "Institución anfitriona: Centro de ejemplo" in text
    assert "Un centro de formación con un taller y un vestíbulo." in text
    assert "El taller está junto al vestíbulo." in text
    tags = tags_of(main)
    stills = [a for t, a in tags if t == "img"]
    assert len(stills) == 1 and stills[0]["alt"] == "El vestíbulo del centro."
    assert stills[0]["loading"] == "lazy"
    # The viewer's files are not linked; only the page's small script is, deferred.
    scripts = [a for t, a in tags_of(page) if t == "script"]
    assert [s["src"].split("?")[0] for s in scripts] == ["/static/visits/tour.js"]
    assert "defer" in scripts[0]
    assert "pannellum.js" not in re.sub(r'data-viewer-js="[^"]+"', "", page)
    assert "<iframe" not in page
    # Without JavaScript: no button that cannot work, and a note saying where the tour's
    # substance is; with it, the script shows the button.
    button = next(a for t, a in tags if t == "button" and a.get("id") == "tour-load")
    assert "hidden" in button
    assert "El recorrido necesita JavaScript" in main
    # Sizes read as in app/core/formats.py (the tour's size follows its pictures and viewer).
    assert re.search(r"Cargar el recorrido \(unos \d+,\d KB\)", main)


@pytest.mark.parametrize("locale", ["es", "pt", "en"])
def test_everything_the_tour_says_is_on_the_page_as_text(app, make_user, locale):
    """The SENAR visit: every scene title, description and hotspot text, in the reader's
    language."""
    import_season()
    course = db.session.scalar(select(Course).where(Course.slug == "green-jobs"))
    visit = db.session.scalar(
        select(Item).where(Item.course_id == course.id, Item.kind == "study_visit")
    )
    learner = make_user(locale=locale)
    enroll_directly(learner, course)
    db.session.commit()
    client = app.test_client()
    login(client, learner)
    text = text_of(client.get(f"/learn/green-jobs/{visit.slug}").get_data(as_text=True))
    scenes = visit.content["tour"]["scenes"]
    assert len(scenes) == 2
    for scene in scenes:
        assert scene["title"][locale] in text
        assert scene["description"][locale] in text
        for spot in scene["hotspots"]:
            assert spot["text"][locale] in text
    for point in visit.content["key_points"]:
        assert point[locale] in text


def test_an_embedded_tour_is_framed_only_on_request_and_only_from_its_host(client, learner):
    response = client.get(EMBED)
    page = response.get_data(as_text=True)
    assert "<iframe" not in page  # the script makes it when the learner asks
    assert 'data-src="https://www.youtube-nocookie.com/embed/aula-example"' in page
    assert "Cargar el recorrido (unos 25 MB)" in page
    assert "El recorrido está alojado en www.youtube-nocookie.com" in page
    csp = csp_of(response)
    assert csp["frame-src"] == "https://www.youtube-nocookie.com"
    assert csp["frame-ancestors"] == "'none'" and csp["script-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert response.headers["X-Frame-Options"] == "DENY"
    # The iframe the script makes is sandboxed.
    script = client.get("/static/visits/tour.js").get_data(as_text=True)
    assert (
        'iframe.setAttribute("sandbox", "allow-scripts allow-same-origin allow-presentation")'
        in script
    )


def test_no_other_page_may_frame_anything(client, learner):
    hosted = csp_of(client.get(HOSTED))
    assert hosted["frame-src"] == "'none'"
    assert hosted["img-src"] == "'self' data: blob:"  # the viewer's panoramas
    for path in (f"/learn/{SMALL}/welcome", f"/learn/{SMALL}", "/dashboard", "/courses"):
        csp = csp_of(client.get(path))
        assert csp["frame-src"] == "'none'", path
        assert "blob:" not in csp["img-src"], path


def weight(client, path) -> tuple[int, int, int]:
    """Bytes of the page, of the stylesheets and of the scripts it links (pictures aside)."""
    response = client.get(path)
    assert response.status_code == 200, path
    page = response.get_data()
    tags = tags_of(page.decode())
    linked = {"css": 0, "js": 0}
    for tag, attrs in tags:
        if tag == "link" and attrs.get("rel") == "stylesheet":
            kind, href = "css", attrs["href"]
        elif tag == "script" and attrs.get("src"):
            kind, href = "js", attrs["src"]
        else:
            continue
        asset = client.get(href)
        assert asset.status_code == 200, href
        linked[kind] += len(asset.get_data())
    assert linked["js"] > 0, f"{path} links no script"
    return len(page), linked["css"], linked["js"]


def test_every_study_visit_page_weighs_under_60_kb_before_its_tour(app, make_user):
    """The first season's visits and the example ones, in each language they are read in."""
    checked = []
    import_season()
    from app.catalog.content.importer import import_courses
    from app.catalog.content.loader import load_package
    from tests.catalog.helpers import EXAMPLE

    import_courses(load_package(EXAMPLE)[0])
    db.session.commit()
    courses = db.session.scalars(select(Course)).all()
    for course in courses:
        visits = db.session.scalars(
            select(Item.slug).where(Item.course_id == course.id, Item.kind == "study_visit")
        ).all()
        for locale in course.languages if visits else ():
            learner = make_user(locale=locale)
            enroll_directly(learner, course)
            db.session.commit()
            client = app.test_client()
            login(client, learner)
            for slug in visits:
                html_bytes, css, js = weight(client, f"/learn/{course.slug}/{slug}")
                assert html_bytes + css + js < LIMIT, (course.slug, slug, html_bytes, css, js)
                checked.append((course.slug, slug, locale, html_bytes + css + js))
    print(
        "study-visit page weights (bytes, stills aside):", sorted(checked, key=lambda c: -c[3])[:3]
    )
    assert {slug for _, slug, _, _ in checked} >= {
        "senac-360-visit",
        "senai-innovation-centre-visit",
        "senar-excellence-centre-visit",
        "visit-hosted",
        "visit-embed",
    }


def _pages(client):
    counts = {}
    for path in (HOSTED, EMBED):
        with counting_queries() as statements:
            assert client.get(path).status_code == 200
        counts[path] = len(statements)
    return counts


def test_the_visit_pages_run_the_same_queries_for_few_and_many(
    client, learner, make_user, small_course
):
    _pages(client)  # warm up anything loaded once per process
    few = _pages(client)

    # More of everything the page could read row by row: scenes seen, other learners'
    # progress through the tour, other courses and enrolments.
    mine = db.session.scalar(select(Item).where(Item.slug == "visit-hosted"))
    from tests.learning.helpers import enrollment_of

    db.session.add(
        TourSceneView(enrollment_id=enrollment_of(learner).id, item_id=mine.id, scene="hall")
    )
    for n in range(30):
        other = make_user(email=f"other{n}@example.org")
        place = enroll_directly(other, small_course)
        for scene in ("hall", "workshop"):
            db.session.add(TourSceneView(enrollment_id=place.id, item_id=mine.id, scene=scene))
    for n in range(20):
        enroll_directly(learner, build_course(f"other-{n:02d}", position=n + 1))
    db.session.commit()
    many = _pages(client)

    assert few == many, (few, many)
    assert all(count <= 15 for count in many.values()), many
    assert "Escenas vistas: 1 de 2." in client.get(HOSTED).get_data(as_text=True)
