"""A course lists a language only when every lesson is written in it: the check refuses a
package that lists more, and the catalog shows and filters by what the lessons cover."""

import re
from pathlib import Path

from app.catalog.content.importer import import_courses
from app.catalog.content.loader import load_package
from app.catalog.models import Course
from app.extensions import db
from tests.catalog.helpers import edit
from tests.catalog.test_content_check import PROBLEM_LINE, line_of, run_check, same_file
from tests.catalog.test_content_import import run_import

PARTLY = Path(__file__).parent / "packages" / "partly-translated"
CARD = re.compile(r'<li class="card">(.*?)</li>', re.DOTALL)


def copy_partly(where: Path) -> Path:
    import shutil

    target = where / "partly-translated"
    shutil.copytree(PARTLY, target)
    return target


def translated(package: Path) -> Path:
    """The package with its glossary in Portuguese too and English no longer listed."""
    (package / "lessons" / "glossary.pt.md").write_text(
        "# Glossário\n\nTermos do curso.\n", encoding="utf-8"
    )
    yaml_file = package / "course.yaml"
    edit(yaml_file, "body: lessons/glossary.es.md", "body: {es: lessons/glossary.es.md, "
         "pt: lessons/glossary.pt.md}")  # fmt: skip
    edit(yaml_file, "languages: [es, pt, en]", "languages: [es, pt]")
    return package


def card_of(html: str, slug: str) -> str | None:
    for card in CARD.findall(html):
        if f"/courses/{slug}" in card:
            return card
    return None


def test_a_listed_language_some_lessons_lack_is_refused_naming_those_lessons(app):
    courses, problems = load_package(PARTLY)
    assert courses == []
    yaml_file = PARTLY / "course.yaml"
    line = line_of(yaml_file, "languages: [es, pt, en]")
    by_language = {}
    for problem in problems:
        assert same_file(problem.file, yaml_file) and problem.line == line, problem
        language = re.search(r"languages lists (\w+)", problem.message).group(1)
        by_language[language] = problem.message
    assert set(by_language) == {"pt", "en"}  # Spanish is covered by every lesson
    assert "lesson glossary " in by_language["pt"]
    assert "welcome" not in by_language["pt"] and "tools" not in by_language["pt"]
    assert "lessons tools, glossary " in by_language["en"]
    assert "welcome" not in by_language["en"]
    # The quiz, in Spanish only, does not count: its texts fall back with a note.
    assert all("check" not in message for message in by_language.values())

    result = run_check(app, PARTLY)
    assert result.exit_code == 1
    printed = PROBLEM_LINE.findall(result.output)
    assert len(printed) == 2 and {int(n) for _, n, _ in printed} == {line}, result.output
    assert "remove en from languages" in result.output


def test_the_refused_package_imports_nothing(app, tmp_path):
    result = run_import(app, copy_partly(tmp_path))
    assert result.exit_code == 1
    assert "not every lesson is written in en" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Course)) == 0


def test_a_lesson_with_no_text_in_the_main_language_is_named_too(app, tmp_path):
    package = copy_partly(tmp_path)
    edit(package / "course.yaml", "body: {es: lessons/tools.es.md, pt: lessons/tools.pt.md}",
         "body: {pt: lessons/tools.pt.md}")  # fmt: skip
    _, problems = load_package(package)
    messages = {re.search(r"lists (\w+)", p.message).group(1): p.message for p in problems}
    assert set(messages) == {"es", "pt", "en"}
    assert "lesson tools " in messages["es"]


def test_once_every_listed_language_is_covered_the_package_checks_clean(app, tmp_path):
    package = translated(copy_partly(tmp_path))
    courses, problems = load_package(package)
    assert problems == []
    assert courses[0].spec.languages == ["es", "pt"]
    assert run_check(app, package).exit_code == 0


def test_the_catalog_shows_and_filters_by_the_languages_the_lessons_are_in(
    app, client, tmp_path, small_course
):
    assert run_import(app, translated(copy_partly(tmp_path))).exit_code == 0
    course = db.session.scalar(db.select(Course).where(Course.slug == "partly-translated"))
    # Its title and summary are in English too; its lessons are not, so English is not listed.
    assert course.title["en"] == "A half-translated course"
    assert course.languages == ["es", "pt"]

    card = card_of(client.get("/courses").get_data(as_text=True), "partly-translated")
    assert '<span lang="es">Español</span>' in card
    assert '<span lang="pt">Português</span>' in card
    assert 'lang="en"' not in card

    def listed(language):
        html = client.get(f"/courses?language={language}").get_data(as_text=True)
        return {slug for slug in ("partly-translated", "small-example") if card_of(html, slug)}

    assert listed("pt") == {"partly-translated", "small-example"}
    assert listed("en") == {"small-example"}
    assert listed("es") == {"partly-translated", "small-example"}
    page = client.get("/courses/partly-translated").get_data(as_text=True)
    assert '<span lang="pt">Português</span>' in page
    assert '<span lang="en">English</span>' not in page


def test_the_importer_never_lists_a_language_a_lesson_lacks(app, tmp_path):
    """Even handed a declaration the check would refuse, the course lists only what its
    lessons cover (the catalog's filter reads that list)."""
    (loaded,) = load_package(translated(copy_partly(tmp_path)))[0]
    loaded.spec = loaded.spec.model_copy(update={"languages": ["es", "pt", "en"]})
    import_courses([loaded])
    db.session.commit()
    course = db.session.scalar(db.select(Course).where(Course.slug == "partly-translated"))
    assert course.languages == ["es", "pt"]


def test_every_course_of_the_first_season_lists_only_languages_all_its_lessons_are_in(app):
    from app.catalog.content.loader import untranslated
    from tests.learning.helpers import SEASON

    courses, problems = load_package(SEASON)
    assert problems == []
    assert len(courses) == 5
    for loaded in courses:
        assert untranslated(loaded.spec) == {}, loaded.spec.slug
