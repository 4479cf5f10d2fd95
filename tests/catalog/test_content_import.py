"""`flask content import`: all or nothing, in place, sanitised, with stored files and guide PDFs."""

import hashlib
import io
import re
import socket
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader

from app.catalog.models import Course, Item, Module
from app.core.models import StoredFile
from app.extensions import db
from app.learning import services
from app.learning.models import ItemProgress, QuizAttempt
from tests.catalog.helpers import EXAMPLE, copy_example, edit
from tests.conftest import login
from tests.seasons.factories import enroll

ITEM_SLUGS = ["welcome", "checklist", "guide", "basics-quiz", "visit-hosted", "visit-embed"]
FILES_URL = re.compile(r"/files/(?P<sha>[0-9a-f]{64})/(?P<name>[^\"'\s<>]+)")
LESSON_DIV = re.compile(r'<div class="lesson"[^>]*>(.*?)</div>', re.DOTALL)


def run_import(app, path: Path, *options: str):
    result = app.test_cli_runner().invoke(args=["content", "import", str(path), *options])
    db.session.expire_all()  # read what the command committed, not the session's memory
    return result


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def course_by_slug(slug: str) -> Course | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Course).where(Course.slug == slug))


def item_by_slug(course: Course, slug: str) -> Item | None:
    return db.session.scalar(db.select(Item).where(Item.course_id == course.id, Item.slug == slug))


def course_items(course: Course) -> list[Item]:
    return list(
        db.session.scalars(
            db.select(Item).where(Item.course_id == course.id).order_by(Item.position)
        )
    )


class Markup(HTMLParser):
    """Every start tag and its attributes, to look for what must not be there."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k.lower(): v or "" for k, v in attrs}))


def assert_harmless(html: str) -> None:
    assert "<script" not in html.lower(), html
    for tag, attrs in Markup(html).tags:
        assert tag != "script", html
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"<{tag}> keeps event handlers {handlers}: {html}"
        for name in ("href", "src"):
            value = re.sub(r"\s", "", attrs.get(name, "")).lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:text")), html


# All or nothing ------------------------------------------------------------------------


def test_a_broken_course_stops_the_whole_package(app, tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    good = copy_example(package, "a-good")
    edit(good / "course.yaml", "slug: small-example", "slug: good-course")
    broken = copy_example(package, "b-broken")
    edit(broken / "course.yaml", "slug: small-example", "slug: broken-course")
    (broken / "files" / "checklist.txt").unlink()

    result = run_import(app, package)

    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert "files/checklist.txt" in result.output
    assert f"{broken / 'course.yaml'}:" in result.output
    assert count(Course) == 0
    assert count(Module) == 0
    assert count(Item) == 0
    assert count(StoredFile) == 0


def test_a_broken_package_leaves_an_imported_course_untouched(app, tmp_path):
    course = copy_example(tmp_path)
    assert run_import(app, course).exit_code == 0
    before = course_by_slug("small-example")
    fingerprint, html = before.package_hash, item_by_slug(before, "welcome").content["html"]

    edit(course / "lessons" / "welcome.es.md", "Bienvenida", "Hola de nuevo")
    edit(course / "course.yaml", "hours: 2", "hours: 3")
    (course / "files" / "checklist.txt").unlink()
    result = run_import(app, course)

    assert result.exit_code != 0, result.output
    after = course_by_slug("small-example")
    assert after.hours == 2
    assert after.package_hash == fingerprint
    assert item_by_slug(after, "welcome").content["html"] == html


# Creating and re-importing -------------------------------------------------------------


def test_import_creates_the_course_modules_and_items_in_order(app):
    result = run_import(app, EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "created: small-example" in result.output

    course = course_by_slug("small-example")
    assert course is not None
    assert course.title == {
        "es": "Curso de ejemplo",
        "pt": "Curso de exemplo",
        "en": "Example course",
    }
    assert course.hours == 2
    assert course.language == "es"
    assert course.languages == ["es", "pt", "en"]
    assert course.kind.value == "self_paced"
    assert [m.slug for m in course.modules] == ["basics"]
    items = course_items(course)
    assert [i.slug for i in items] == ITEM_SLUGS
    assert [i.kind for i in items] == [
        "lesson",
        "resource",
        "guide",
        "quiz",
        "study_visit",
        "study_visit",
    ]
    assert [i.slug for i in course.modules[0].items] == ITEM_SLUGS
    assert all(i.module_id == course.modules[0].id for i in items)
    quiz = items[3]
    assert quiz.content["pass_mark"] == 50
    assert quiz.content["max_attempts"] == 2
    assert [q["kind"] for q in quiz.content["questions"]] == [
        "single",
        "multiple",
        "true_false",
        "numeric",
    ]


def test_a_second_import_reports_the_course_unchanged(app):
    assert run_import(app, EXAMPLE).exit_code == 0
    course = course_by_slug("small-example")
    ids = [i.id for i in course_items(course)]
    files = count(StoredFile)

    result = run_import(app, EXAMPLE)

    assert result.exit_code == 0, result.output
    assert "unchanged: small-example" in result.output
    assert "created" not in result.output
    assert "updated" not in result.output
    assert count(Course) == 1
    assert [i.id for i in course_items(course_by_slug("small-example"))] == ids
    assert count(StoredFile) == files


def test_import_of_a_folder_of_courses_imports_each(app, tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    copy_example(package, "one")
    second = copy_example(package, "two")
    edit(second / "course.yaml", "slug: small-example", "slug: second-example")

    result = run_import(app, package)

    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(db.select(Course.slug))) == [
        "second-example",
        "small-example",
    ]


# Lesson HTML ---------------------------------------------------------------------------


HOSTILE_LESSON = """\
# Lección peligrosa

Texto seguro antes.

<script>alert(1)</script>

<img src=x onerror=alert(1)>

<a href="#" onclick="x">pulse</a>

Texto seguro después.
"""


def read_lesson_page(app, make_user, course_slug="small-example", item_slug="welcome") -> str:
    """The lesson as a signed-in, enrolled learner sees it: the `lesson` block of the page."""
    learner = make_user()
    enroll(learner, course_by_slug(course_slug))
    db.session.commit()
    client = app.test_client()
    login(client, learner)
    response = client.get(f"/learn/{course_slug}/{item_slug}")
    assert response.status_code == 200
    blocks = LESSON_DIV.findall(response.get_data(as_text=True))
    assert blocks, "no lesson block on the page"
    return blocks[0]


def test_raw_html_in_a_lesson_is_neutralised(app, tmp_path, make_user):
    course = copy_example(tmp_path)
    (course / "lessons" / "welcome.es.md").write_text(HOSTILE_LESSON, encoding="utf-8")

    result = run_import(app, course)

    assert result.exit_code == 0, result.output
    html = item_by_slug(course_by_slug("small-example"), "welcome").content["html"]["es"]
    assert "Texto seguro antes." in html
    assert "Texto seguro después." in html
    assert_harmless(html)
    assert not [t for t, _ in Markup(html).tags if t == "img"], html

    served = read_lesson_page(app, make_user)
    assert "Texto seguro antes." in served
    assert_harmless(served)


def test_javascript_link_is_refused_or_removed(app, tmp_path, make_user):
    course = copy_example(tmp_path)
    lesson = course / "lessons" / "welcome.es.md"
    lesson.write_text("# Enlace\n\nTexto.\n\n[click](javascript:alert(1))\n", encoding="utf-8")

    result = run_import(app, course)

    if result.exit_code != 0:  # refused: with a clear error at the link's line
        assert f"{lesson}:5:" in result.output, result.output
        assert "javascript" in result.output
        assert count(Course) == 0
        return
    html = item_by_slug(course_by_slug("small-example"), "welcome").content["html"]["es"]
    assert_harmless(html)
    assert "javascript:" not in html.lower(), html
    served = read_lesson_page(app, make_user)
    assert "javascript:" not in served.lower(), served


def test_internal_links_become_player_urls(app, small_course):
    html = item_by_slug(small_course, "welcome").content["html"]
    for language in ("es", "pt", "en"):
        hrefs = [a.get("href") for t, a in Markup(html[language]).tags if t == "a"]
        assert "/learn/small-example/basics-quiz" in hrefs, html[language]
        assert not any("item:" in (h or "") for h in hrefs)


def test_a_lesson_starts_its_headings_at_h2(app, small_course):
    html = item_by_slug(small_course, "welcome").content["html"]["es"]
    assert "<h1" not in html
    assert "<h2>Bienvenida</h2>" in html


# Stored files --------------------------------------------------------------------------


def test_package_images_become_hashed_urls_cached_for_a_year(app, client, small_course):
    png = (EXAMPLE / "files" / "diagram.png").read_bytes()
    sha = hashlib.sha256(png).hexdigest()
    html = item_by_slug(small_course, "welcome").content["html"]["es"]
    sources = [a.get("src") for t, a in Markup(html).tags if t == "img"]
    assert sources == [f"/files/{sha}/diagram.png"], html
    assert "../files/diagram.png" not in html

    response = client.get(f"/files/{sha}/diagram.png")

    assert response.status_code == 200
    assert response.data == png
    assert response.mimetype == "image/png"
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache
    assert "immutable" in cache
    assert not response.headers.get("Content-Disposition", "").startswith("attachment")


def test_wrong_filename_or_unknown_hash_is_not_found(app, client, small_course):
    sha = hashlib.sha256((EXAMPLE / "files" / "diagram.png").read_bytes()).hexdigest()
    assert client.get(f"/files/{sha}/diagram.png").status_code == 200
    assert client.get(f"/files/{sha}/other.png").status_code == 404
    assert client.get(f"/files/{'0' * 64}/diagram.png").status_code == 404


def test_a_resource_is_served_as_an_attachment(app, client, small_course):
    data = (EXAMPLE / "files" / "checklist.txt").read_bytes()
    reference = item_by_slug(small_course, "checklist").content["file"]
    assert reference["sha256"] == hashlib.sha256(data).hexdigest()
    assert reference["filename"] == "checklist.txt"

    response = client.get(f"/files/{reference['sha256']}/{reference['filename']}")

    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "checklist.txt" in response.headers["Content-Disposition"]
    assert "max-age=31536000" in response.headers["Cache-Control"]


# Re-import in place --------------------------------------------------------------------


def learner_with_history(make_user, course: Course):
    """A learner who did the welcome lesson and made a (passing) quiz attempt."""
    learner = make_user()
    enrollment = enroll(learner, course)
    services.mark_done(enrollment, item_by_slug(course, "welcome"))
    answers = {"0": ["0"], "1": ["0", "1"], "2": ["true"], "3": ["2"]}
    attempt = services.submit_quiz(enrollment, item_by_slug(course, "basics-quiz"), 1, answers)
    assert attempt.passed
    db.session.commit()
    return learner, enrollment


def progress_of(enrollment, item_id=None) -> list[ItemProgress]:
    db.session.expire_all()
    query = db.select(ItemProgress).where(ItemProgress.enrollment_id == enrollment.id)
    if item_id is not None:
        query = query.where(ItemProgress.item_id == item_id)
    return list(db.session.scalars(query))


def attempts_of(enrollment) -> list[QuizAttempt]:
    db.session.expire_all()
    return list(
        db.session.scalars(db.select(QuizAttempt).where(QuizAttempt.enrollment_id == enrollment.id))
    )


def test_reimport_updates_in_place_and_keeps_learner_data(app, tmp_path, make_user):
    course_dir = copy_example(tmp_path)
    assert run_import(app, course_dir).exit_code == 0
    course = course_by_slug("small-example")
    ids = {i.slug: i.id for i in course_items(course)}
    _, enrollment = learner_with_history(make_user, course)
    done_before = {p.id for p in progress_of(enrollment)}
    attempts_before = [(a.id, a.item_id, a.score) for a in attempts_of(enrollment)]
    assert len(done_before) == 2 and len(attempts_before) == 1

    edit(
        course_dir / "lessons" / "welcome.es.md",
        "Este curso muestra el **formato**.",
        "Este curso enseña el **formato nuevo**.",
    )
    result = run_import(app, course_dir)

    assert result.exit_code == 0, result.output
    assert "updated: small-example" in result.output
    course = course_by_slug("small-example")
    assert {i.slug: i.id for i in course_items(course)} == ids
    html = item_by_slug(course, "welcome").content["html"]["es"]
    assert "formato nuevo" in html
    assert "muestra el" not in html
    assert {p.id for p in progress_of(enrollment)} == done_before
    assert [(a.id, a.item_id, a.score) for a in attempts_of(enrollment)] == attempts_before


def remove_quiz(course_dir: Path) -> None:
    """Drop the quiz from course.yaml (it is the last item) and the lessons' links to it."""
    yaml_file = course_dir / "course.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    yaml_file.write_text(text[: text.index("      - kind: quiz")], encoding="utf-8")
    for lesson in (course_dir / "lessons").glob("welcome.*.md"):
        edit(lesson, "(item:basics-quiz)", "(item:checklist)")


def test_removing_an_item_with_learner_data_needs_force(app, tmp_path, make_user):
    course_dir = copy_example(tmp_path)
    assert run_import(app, course_dir).exit_code == 0
    course = course_by_slug("small-example")
    quiz_id = item_by_slug(course, "basics-quiz").id
    fingerprint = course.package_hash
    _, enrollment = learner_with_history(make_user, course)
    remove_quiz(course_dir)

    result = run_import(app, course_dir)

    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert "basics-quiz" in result.output
    assert "would be lost" in result.output
    assert "1 quiz attempt" in result.output
    assert "1 learner" in result.output
    assert "--force" in result.output
    # Nothing changed: the item, its data, and the rest of the course as they were.
    course = course_by_slug("small-example")
    assert course.package_hash == fingerprint
    assert [i.slug for i in course_items(course)] == ITEM_SLUGS
    assert item_by_slug(course, "basics-quiz").id == quiz_id
    assert (
        "/learn/small-example/basics-quiz" in item_by_slug(course, "welcome").content["html"]["es"]
    )
    assert len(progress_of(enrollment, quiz_id)) == 1
    assert len(attempts_of(enrollment)) == 1


def test_force_removes_the_item_and_its_learner_data(app, tmp_path, make_user):
    course_dir = copy_example(tmp_path)
    assert run_import(app, course_dir).exit_code == 0
    course = course_by_slug("small-example")
    quiz_id = item_by_slug(course, "basics-quiz").id
    welcome_id = item_by_slug(course, "welcome").id
    _, enrollment = learner_with_history(make_user, course)
    remove_quiz(course_dir)

    result = run_import(app, course_dir, "--force")

    assert result.exit_code == 0, result.output
    assert "basics-quiz" in result.output
    course = course_by_slug("small-example")
    assert [i.slug for i in course_items(course)] == ITEM_SLUGS[:3]
    assert db.session.get(Item, quiz_id) is None
    assert progress_of(enrollment, quiz_id) == []
    assert attempts_of(enrollment) == []
    # What the learner did elsewhere stays.
    assert len(progress_of(enrollment, welcome_id)) == 1
    assert "/learn/small-example/checklist" in item_by_slug(course, "welcome").content["html"]["es"]


def test_removing_an_item_nobody_used_needs_no_force(app, tmp_path):
    course_dir = copy_example(tmp_path)
    assert run_import(app, course_dir).exit_code == 0
    remove_quiz(course_dir)

    result = run_import(app, course_dir)

    assert result.exit_code == 0, result.output
    assert [i.slug for i in course_items(course_by_slug("small-example"))] == ITEM_SLUGS[:3]


# Practical guides ----------------------------------------------------------------------


def guide_pdf(client, course: Course, language="es") -> bytes:
    reference = item_by_slug(course, "guide").content["pdf"][language]
    response = client.get(f"/files/{reference['sha256']}/{reference['filename']}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert reference["filename"].endswith(".pdf")
    return response.data


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def test_the_guide_is_rendered_to_a_pdf_at_import(app, client, small_course):
    data = guide_pdf(client, small_course)

    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Guía práctica" in text
    assert "Responda el cuestionario." in text
    assert "Lea la lección." in text


def test_a_guide_with_an_external_image_is_rendered_without_the_network(
    app, client, tmp_path, monkeypatch
):
    course_dir = copy_example(tmp_path)
    with (course_dir / "lessons" / "guide.es.md").open("a", encoding="utf-8") as handle:
        handle.write("\nUna imagen externa.\n\n![x](https://example.com/a.png)\n")
    connections = []

    def no_network(self, address, *args, **kwargs):
        connections.append(address)
        raise OSError("tests may not use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(
        socket, "create_connection", lambda address, *a, **k: no_network(None, address)
    )

    result = run_import(app, course_dir)

    assert result.exit_code == 0, result.output
    assert connections == []
    text = pdf_text(guide_pdf(client, course_by_slug("small-example")))
    assert "Una imagen externa." in text


def test_a_guide_embeds_the_package_pictures_it_shows(app, client, tmp_path):
    course_dir = copy_example(tmp_path)
    with (course_dir / "lessons" / "guide.es.md").open("a", encoding="utf-8") as handle:
        handle.write("\nEl esquema:\n\n![Esquema](../files/diagram.png)\n")

    result = run_import(app, course_dir)

    assert result.exit_code == 0, result.output
    data = guide_pdf(client, course_by_slug("small-example"))
    images = [image for page in PdfReader(io.BytesIO(data)).pages for image in page.images]
    assert len(images) == 1, "the package picture is missing from the guide's PDF"
