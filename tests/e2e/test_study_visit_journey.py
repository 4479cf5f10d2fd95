"""Journey (c): a learner on a phone opens a study visit, reads it light, takes the hosted
360° tour (mouse and keyboard), moves between its scenes and sees the visit marked done."""

import re
import subprocess
import sys

from tests.e2e.conftest import ROOT, assert_accessible, expect, snapshot

EMAIL = "joao.pereira@example.org"
PASSWORD = "horta comunitária 2026 sol"
VISIT = "/learn/green-jobs/senar-excellence-centre-visit"
EMBED = "/learn/small-example/visit-embed"


def create_learner(live_server, email=EMAIL):
    env = live_server.env
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "users", "create", email,
         "--name", "João Pereira", "--role", "learner", "--password", PASSWORD],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def offer_small_example(live_server):
    """The test package, with its embedded tour, imported and offered in the open season."""
    env = live_server.env
    for command in (
        ["content", "import", "tests/catalog/packages/small-example"],
        ["seasons", "open", "Season E2E", "--course", "small-example"],
    ):
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *command],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip


def sign_in_and_enroll(page, email: str, course: str) -> None:
    """Sign in through the form and enrol in the self-paced course from its page."""
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/courses/{course}")
    page.get_by_role("button", name="Inscribirme en este curso").click()
    page.wait_for_url(f"**/learn/{course}")


def test_a_learner_takes_a_hosted_tour_and_the_visit_counts_as_done(phone, live_server):
    create_learner(live_server)
    page = phone
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in_and_enroll(page, EMAIL, "green-jobs")

    requested.clear()
    page.goto(VISIT)
    # Light by default: text, key points, stills and the tour's text version; no viewer yet.
    expect(page.get_by_role("heading", name="Puntos clave")).to_be_visible()
    expect(page.get_by_role("heading", name="Invernadero y riego")).to_be_visible()
    expect(page.get_by_text("El riego por goteo usa mucha menos agua")).to_be_visible()
    assert not [u for u in requested if "pannellum" in u or "/visits/senar/" in u]
    assert page.locator("#tour-viewer").is_hidden()
    load = page.get_by_role("button", name=re.compile(r"Cargar el recorrido \(unos \d+(,\d)? KB\)"))
    expect(load).to_be_visible()
    assert_accessible(page)
    snapshot(page, "c1-visit-before-tour")

    page.evaluate(
        """window.violations = [];
           document.addEventListener('securitypolicyviolation',
             e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"""
    )
    load.click()
    viewer = page.locator("#tour-viewer")
    viewer.locator("canvas").wait_for()
    page.get_by_role("status").filter(has_text="Escenas vistas: 1 de 2").wait_for()
    assert [u for u in requested if "pannellum.js" in u]
    # The keyboard turns the view (the page notes the viewer's direction after each move).
    before = viewer.get_attribute("data-yaw")
    viewer.focus()
    assert page.evaluate("document.activeElement.id") == "tour-viewer"
    page.keyboard.down("ArrowRight")
    page.wait_for_timeout(600)
    page.keyboard.up("ArrowRight")
    page.wait_for_function(
        "before => document.getElementById('tour-viewer').dataset.yaw !== before", arg=before
    )
    assert_accessible(page)
    snapshot(page, "c2-tour-first-scene")

    # The text version's own buttons move between scenes (keyboard-usable, like the hotspots).
    go = page.locator("#scene-field-classroom").get_by_role(
        "button", name="Ir allí en el recorrido"
    )
    go.focus()
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Visita de estudio completada").wait_for()
    expect(page.locator("#scene-greenhouse .seen")).to_be_visible()
    snapshot(page, "c3-tour-done")
    # The viewer works within the page's policy: nothing it did was refused.
    assert page.evaluate("window.violations") == []

    # Saved on the server: after a reload the visit is done, and so is its item in the outline.
    page.reload()
    expect(page.locator("p.meta").get_by_text("Completado").first).to_be_visible()
    expect(page.get_by_role("status").get_by_text("Visita de estudio completada")).to_be_visible()
    assert page.get_by_role("button", name=re.compile("Marcar como completado")).count() == 0
    assert_accessible(page)
    rows = live_server.query(
        "SELECT v.scene FROM tour_scene_view v JOIN enrollment e ON e.id = v.enrollment_id "
        "JOIN user_account u ON u.id = e.user_id WHERE u.email = ? ORDER BY v.scene",
        EMAIL,
    )
    assert rows == [("field-classroom",), ("greenhouse",)]
    ((done,),) = live_server.query(
        "SELECT count(*) FROM item_progress p JOIN course_item i ON i.id = p.item_id "
        "JOIN enrollment e ON e.id = p.enrollment_id JOIN user_account u ON u.id = e.user_id "
        "WHERE u.email = ? AND i.slug = 'senar-excellence-centre-visit'",
        EMAIL,
    )
    assert done == 1


def test_an_embedded_tour_loads_on_request_sandboxed_and_nothing_else_can_be_framed(
    phone, live_server
):
    """The example embed of the test package (the season's courses show no made-up tour),
    with the provider answered locally."""
    page = phone
    email = "ines.rocha@example.org"
    create_learner(live_server, email)
    offer_small_example(live_server)
    page.route(
        "https://www.youtube-nocookie.com/**",
        lambda route: route.fulfill(
            body="<!doctype html><title>tour</title><p>360 tour</p>", content_type="text/html"
        ),
    )
    page.route(
        "https://evil.example.org/**",
        lambda route: route.fulfill(body="<p>evil</p>", content_type="text/html"),
    )
    sign_in_and_enroll(page, email, "small-example")

    page.goto(EMBED)
    assert page.locator("iframe").count() == 0
    assert page.locator("#tour-confirm").is_hidden()
    assert_accessible(page)
    page.evaluate(
        """window.violations = [];
           document.addEventListener('securitypolicyviolation',
             e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"""
    )
    page.get_by_role("button", name=re.compile(r"Cargar el recorrido \(unos 25 MB\)")).click()
    frame = page.locator("#tour-frame iframe")
    assert frame.get_attribute("sandbox") == "allow-scripts allow-same-origin allow-presentation"
    assert frame.get_attribute("src").startswith("https://www.youtube-nocookie.com/embed/")
    page.frame_locator("#tour-frame iframe").get_by_text("360 tour").wait_for()
    assert_accessible(page)
    snapshot(page, "c4-embedded-tour")

    # Another host, framed by a script that got onto the page, is refused by the CSP.
    page.evaluate(
        """const f = document.createElement('iframe');
           f.src = 'https://evil.example.org/x'; f.title = 'x'; document.body.appendChild(f);"""
    )
    page.wait_for_function("window.violations.length > 0")
    assert page.evaluate("window.violations") == ["frame-src https://evil.example.org"]

    done = page.get_by_role("button", name="Hice el recorrido: marcar la visita como completada")
    # The button ends just below a phone's fold: scrolled there first as a person would (a
    # click that has Playwright scroll it itself was lost here, the form never sent).
    done.scroll_into_view_if_needed()
    done.click()
    page.wait_for_url(f"**{EMBED}")
    page.get_by_text("Visita de estudio completada.").wait_for()  # the URL was already this one
    expect(page.locator("p.meta").get_by_text("Completado").first).to_be_visible()


def test_a_scene_that_could_not_be_saved_says_so(phone, live_server):
    """A captive portal answering instead of the platform, then an ended session."""
    page = phone
    email = "rosa.quispe@example.org"
    create_learner(live_server, email)
    sign_in_and_enroll(page, email, "digitalization")
    page.goto("/learn/digitalization/senac-360-visit")
    page.get_by_role("button", name=re.compile("Cargar el recorrido")).click()
    page.get_by_role("status").filter(has_text="Escenas vistas: 1 de 3").wait_for()
    go = page.locator("#scene-entrance").get_by_role("button", name="Ir allí en el recorrido")

    page.route(
        "**/senac-360-visit/tour",
        lambda route: route.fulfill(body="<p>Wi-Fi login</p>", content_type="text/html"),
    )
    go.first.click()
    page.get_by_role("status").filter(has_text="No se pudo guardar su avance").wait_for()
    page.unroute("**/senac-360-visit/tour")

    page.context.clear_cookies()  # the session ends (signed out elsewhere, expired)
    go.last.click()
    page.get_by_role("status").filter(has_text="Este formulario ha caducado").wait_for()
    ((seen,),) = live_server.query(
        "SELECT count(*) FROM tour_scene_view v JOIN enrollment e ON e.id = v.enrollment_id "
        "JOIN user_account u ON u.id = e.user_id WHERE u.email = ?",
        email,
    )
    assert seen == 1


def test_course_text_reaches_the_viewer_as_text_never_as_markup(phone, live_server):
    """A hotspot text or scene title holding markup is shown as those characters: the viewer
    writes them as HTML, so tour.js hands it escaped text."""
    hostile = '<img src="x" id="injected-hotspot">'
    ((original,),) = live_server.query(
        "SELECT content FROM course_item WHERE slug = 'senac-360-visit'"
    )
    live_server.query(
        "UPDATE course_item SET content = json_set(content, "
        "'$.tour.scenes[0].hotspots[0].text.es', ?, '$.tour.scenes[0].title.es', ?) "
        "WHERE slug = 'senac-360-visit'",
        hostile,
        '<b id="injected-title">Vestíbulo</b>',
    )
    try:
        create_learner(live_server, "markup.visit@example.org")
        page = phone
        sign_in_and_enroll(page, "markup.visit@example.org", "digitalization")
        page.goto("/learn/digitalization/senac-360-visit")
        page.get_by_role("button", name=re.compile(r"Cargar el recorrido")).click()
        page.locator("#tour-viewer canvas").wait_for()
        page.locator("#tour-viewer .pnlm-hotspot-base").first.wait_for(state="attached")
        assert page.evaluate("document.getElementById('injected-hotspot')") is None
        assert page.evaluate("document.getElementById('injected-title')") is None
        tooltips = page.locator("#tour-viewer .pnlm-hotspot-base span").all_text_contents()
        assert hostile in tooltips
    finally:  # the other journeys see the course as imported
        live_server.query(
            "UPDATE course_item SET content = ? WHERE slug = 'senac-360-visit'", original
        )
