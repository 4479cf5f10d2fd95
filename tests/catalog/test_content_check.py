"""`flask content check` and `load_package`: every problem reported with its file and line.

Each broken package is a copy of the small example, made in tmp_path and edited; the
expected line numbers are computed from the files as written.
"""

import re
from pathlib import Path

from app.catalog.content.loader import load_package
from tests.catalog.helpers import EXAMPLE, copy_example, edit

PROBLEM_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?P<message>.+)$", re.MULTILINE)


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line of the file containing `needle`."""
    found = [n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in line]
    assert len(found) >= occurrence, f"{needle!r} not in {path}"
    return found[occurrence - 1]


def same_file(reported: str, expected: Path) -> bool:
    return Path(reported).resolve() == expected.resolve()


def run_check(app, path: Path):
    return app.test_cli_runner().invoke(args=["content", "check", str(path)])


def assert_reported(app, package: Path, file: Path, line: int | None, *fragments: str):
    """load_package and `flask content check` both report the problem at file:line."""
    courses, problems = load_package(package)
    assert problems, "no problem found"
    assert not courses or all(
        c.root.resolve() != file.parent.resolve() for c in courses if file.name == "course.yaml"
    ), "a broken course was returned as loadable"
    matches = [
        p
        for p in problems
        if same_file(p.file, file)
        and all(fragment.lower() in p.message.lower() for fragment in fragments)
    ]
    assert matches, f"no problem in {file} mentioning {fragments}: {[str(p) for p in problems]}"
    if line is not None:
        assert [p.line for p in matches] == [line] * len(matches), (
            f"expected line {line}: {[str(p) for p in matches]}"
        )

    result = run_check(app, package)
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    printed = [
        m
        for m in PROBLEM_LINE.finditer(result.output)
        if same_file(m["file"], file)
        and all(fragment.lower() in m["message"].lower() for fragment in fragments)
    ]
    assert printed, f"no `{file}:line: ...` line mentioning {fragments} in:\n{result.output}"
    if line is not None:
        assert {int(m["line"]) for m in printed} == {line}, result.output
    return matches


# A valid package ------------------------------------------------------------------------


def test_the_small_example_checks_clean(app):
    courses, problems = load_package(EXAMPLE)
    assert problems == []
    assert [c.spec.slug for c in courses] == ["small-example"]

    result = run_check(app, EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "small-example" in result.output
    assert "problem" not in result.output


def test_a_folder_of_courses_checks_clean(app, tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    copy_example(package, "one")
    second = copy_example(package, "two")
    edit(second / "course.yaml", "slug: small-example", "slug: second-example")

    courses, problems = load_package(package)
    assert problems == []
    assert sorted(c.spec.slug for c in courses) == ["second-example", "small-example"]
    result = run_check(app, package)
    assert result.exit_code == 0, result.output


def test_check_of_a_missing_folder_fails(app, tmp_path):
    result = run_check(app, tmp_path / "nowhere")
    assert result.exit_code != 0
    assert "nowhere" in result.output


# course.yaml problems --------------------------------------------------------------------


def test_bad_yaml_is_reported_at_the_line_of_the_error(app, tmp_path):
    course = copy_example(tmp_path)
    edit(course / "course.yaml", "hours: 2\n", "hours: 2: 3\n")
    assert_reported(
        app, course, course / "course.yaml", line_of(course / "course.yaml", "hours:"), "yaml"
    )


def test_duplicate_yaml_key_is_reported_at_the_second_key(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    edit(yaml_file, "hours: 2\n", "hours: 2\nhours: 3\n")
    assert_reported(app, course, yaml_file, line_of(yaml_file, "hours: 3"), "hours")


def test_missing_top_level_field_is_named(app, tmp_path):
    course = copy_example(tmp_path)
    edit(course / "course.yaml", "hours: 2\n", "")
    yaml_file = course / "course.yaml"
    matches = assert_reported(app, course, yaml_file, None, "hours", "missing")
    # The mapping that lacks the field is the whole file: it starts at the first key.
    assert matches[0].line is not None
    assert 1 <= matches[0].line <= line_of(yaml_file, "slug: small-example")


def test_missing_item_field_points_at_the_item(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    edit(
        yaml_file,
        "        body:\n          es: lessons/welcome.es.md\n"
        "          pt: lessons/welcome.pt.md\n          en: lessons/welcome.en.md\n",
        "",
    )
    assert_reported(app, course, yaml_file, line_of(yaml_file, "- kind: lesson"), "body", "missing")


def test_unknown_item_kind(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    edit(yaml_file, "- kind: resource", "- kind: podcast")
    assert_reported(app, course, yaml_file, line_of(yaml_file, "kind: podcast"), "podcast")


def test_duplicate_item_slug(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    edit(yaml_file, "slug: checklist", "slug: welcome")
    assert_reported(
        app,
        course,
        yaml_file,
        line_of(yaml_file, "slug: welcome", occurrence=2),
        "duplicate item slug",
        "welcome",
    )


SECOND_MODULE = """\
  - slug: basics
    title: Otra vez
    items:
      - kind: lesson
        slug: again
        title: Otra lección
        body: lessons/welcome.pt.md
"""


def test_duplicate_module_slug(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    with yaml_file.open("a", encoding="utf-8") as handle:
        handle.write(SECOND_MODULE)
    assert_reported(
        app,
        course,
        yaml_file,
        line_of(yaml_file, "- slug: basics", occurrence=2),
        "duplicate module slug",
        "basics",
    )


def test_duplicate_course_slug_across_course_folders(app, tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    first = copy_example(package, "a-first")
    second = copy_example(package, "b-second")
    courses, problems = load_package(package)
    duplicates = [p for p in problems if "duplicate course slug" in p.message]
    assert len(duplicates) == 1, [str(p) for p in problems]
    problem = duplicates[0]
    reported = Path(problem.file)
    assert reported.resolve() in {
        (first / "course.yaml").resolve(),
        (second / "course.yaml").resolve(),
    }
    # The problem names the other folder, and points at the `slug:` line.
    other = first if reported.parent.resolve() == second.resolve() else second
    assert other.name in problem.message
    assert "small-example" in problem.message
    assert problem.line == line_of(reported, "slug: small-example")

    result = run_check(app, package)
    assert result.exit_code != 0
    assert "duplicate course slug" in result.output
    assert f"{reported}:{problem.line}:" in result.output


def test_quiz_question_with_no_correct_answer(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    edit(
        yaml_file,
        '              - text: "1"\n                correct: true\n',
        '              - text: "1"\n',
    )
    assert_reported(
        app, course, yaml_file, line_of(yaml_file, "- kind: single"), "no correct answer"
    )


def test_missing_lesson_body_file(app, tmp_path):
    course = copy_example(tmp_path)
    (course / "lessons" / "welcome.pt.md").unlink()
    yaml_file = course / "course.yaml"
    assert_reported(
        app,
        course,
        yaml_file,
        line_of(yaml_file, "pt: lessons/welcome.pt.md"),
        "missing",
        "lessons/welcome.pt.md",
    )


def test_missing_resource_file(app, tmp_path):
    course = copy_example(tmp_path)
    (course / "files" / "checklist.txt").unlink()
    yaml_file = course / "course.yaml"
    assert_reported(
        app,
        course,
        yaml_file,
        line_of(yaml_file, "file: files/checklist.txt"),
        "missing",
        "files/checklist.txt",
    )


def test_path_escaping_the_course_folder(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    edit(yaml_file, "file: files/checklist.txt", "file: ../../etc/passwd")
    matches = assert_reported(
        app, course, yaml_file, line_of(yaml_file, "../../etc/passwd"), "inside the course folder"
    )
    assert "../../etc/passwd" in matches[0].message


def test_absolute_path_is_refused(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    edit(yaml_file, "file: files/checklist.txt", "file: /etc/passwd")
    assert_reported(
        app, course, yaml_file, line_of(yaml_file, "file: /etc/passwd"), "inside the course folder"
    )


def test_markdown_link_escaping_the_course_folder(app, tmp_path):
    course = copy_example(tmp_path)
    lesson = course / "lessons" / "welcome.en.md"
    with lesson.open("a", encoding="utf-8") as handle:
        handle.write("\nSee [secrets](../../../etc/passwd).\n")
    courses, problems = load_package(course)
    assert courses == []
    found = [p for p in problems if same_file(p.file, lesson)]
    assert found, [str(p) for p in problems]
    assert found[0].line == line_of(lesson, "etc/passwd")


# Markdown problems ----------------------------------------------------------------------


def test_broken_internal_link_reported_in_the_markdown_file(app, tmp_path):
    course = copy_example(tmp_path)
    lesson = course / "lessons" / "welcome.es.md"
    with lesson.open("a", encoding="utf-8") as handle:
        handle.write("\nVea también [x](item:nope).\n")
    assert_reported(app, course, lesson, line_of(lesson, "item:nope"), "item:nope")


def test_broken_internal_link_inside_a_paragraph_reports_its_own_line(app, tmp_path):
    course = copy_example(tmp_path)
    lesson = course / "lessons" / "welcome.pt.md"
    with lesson.open("a", encoding="utf-8") as handle:
        handle.write("\nUm parágrafo\ncom várias linhas\ne um [link](item:nope) aqui.\n")
    assert_reported(app, course, lesson, line_of(lesson, "item:nope"), "item:nope")


def test_image_link_to_a_non_image_file(app, tmp_path):
    course = copy_example(tmp_path)
    lesson = course / "lessons" / "welcome.es.md"
    edit(lesson, "../files/diagram.png", "../files/checklist.txt")
    assert_reported(
        app, course, lesson, line_of(lesson, "checklist.txt"), "checklist.txt", "picture"
    )


def test_image_link_to_a_missing_file(app, tmp_path):
    course = copy_example(tmp_path)
    lesson = course / "lessons" / "welcome.es.md"
    edit(lesson, "../files/diagram.png", "../files/nothing.png")
    assert_reported(app, course, lesson, line_of(lesson, "nothing.png"), "nothing.png")


def test_javascript_link_in_markdown_is_a_problem(app, tmp_path):
    course = copy_example(tmp_path)
    lesson = course / "lessons" / "welcome.en.md"
    with lesson.open("a", encoding="utf-8") as handle:
        handle.write("\n[click](javascript:alert(1))\n")
    assert_reported(app, course, lesson, line_of(lesson, "javascript:"), "javascript")


# Several problems at once ---------------------------------------------------------------


def test_every_problem_is_reported_not_just_the_first(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    es = course / "lessons" / "welcome.es.md"
    en = course / "lessons" / "welcome.en.md"
    with yaml_file.open("a", encoding="utf-8") as handle:
        handle.write(SECOND_MODULE)
    (course / "files" / "checklist.txt").unlink()
    edit(es, "../files/diagram.png", "../course.yaml")
    with en.open("a", encoding="utf-8") as handle:
        handle.write("\nSee [x](item:nope).\n")

    expected = {
        (str(yaml_file.resolve()), line_of(yaml_file, "- slug: basics", 2), "duplicate module"),
        (str(yaml_file.resolve()), line_of(yaml_file, "files/checklist.txt"), "checklist.txt"),
        (str(es.resolve()), line_of(es, "course.yaml"), "picture"),
        (str(en.resolve()), line_of(en, "item:nope"), "item:nope"),
    }
    courses, problems = load_package(course)
    assert courses == []
    for file, line, fragment in expected:
        assert any(
            str(Path(p.file).resolve()) == file and p.line == line and fragment in p.message
            for p in problems
        ), f"{file}:{line} {fragment!r} not in {[str(p) for p in problems]}"

    result = run_check(app, course)
    assert result.exit_code != 0
    printed = {
        (str(Path(m["file"]).resolve()), int(m["line"]), m["message"])
        for m in PROBLEM_LINE.finditer(result.output)
    }
    for file, line, fragment in expected:
        assert any(f == file and n == line and fragment in msg for f, n, msg in printed), (
            result.output
        )


def test_several_schema_problems_are_all_reported(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    edit(yaml_file, "- kind: resource", "- kind: podcast")
    edit(yaml_file, "pass_mark: 50", "pass_mark: 500")
    courses, problems = load_package(course)
    assert courses == []
    messages = " | ".join(str(p) for p in problems)
    assert f":{line_of(yaml_file, 'kind: podcast')}:" in messages
    assert "podcast" in messages
    assert any(
        p.line == line_of(yaml_file, "pass_mark: 500") and "pass_mark" in p.message
        for p in problems
    ), messages


def test_bad_item_slug_is_reported_on_its_line(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    edit(yaml_file, "slug: checklist", "slug: Check_List")
    assert_reported(app, course, yaml_file, line_of(yaml_file, "slug: Check_List"), "slug")


def test_bad_module_slug_is_reported_on_its_line(app, tmp_path):
    course = copy_example(tmp_path)
    yaml_file = course / "course.yaml"
    edit(yaml_file, "- slug: basics", "- slug: Basics")
    assert_reported(app, course, yaml_file, line_of(yaml_file, "slug: Basics"), "slug")


def test_a_missing_picture_is_reported_once_at_the_lesson_line(app, tmp_path):
    course = copy_example(tmp_path)
    lesson = course / "lessons" / "welcome.en.md"
    with lesson.open("a", encoding="utf-8") as handle:
        handle.write("\n![Map](../files/nothing.png)\n")
    _courses, problems = load_package(course)
    assert [(Path(p.file).name, p.line) for p in problems] == [
        ("welcome.en.md", line_of(lesson, "nothing.png"))
    ]
