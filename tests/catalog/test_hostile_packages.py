"""Hostile course packages: links out of the package, picture bombs, YAML alias bombs and
files that are not what their names say are refused at file:line, by `load_package` and by
`flask content check`, and `flask content import` imports nothing."""

import struct
import zlib
from pathlib import Path

from sqlalchemy import func, select

from app.catalog.models import Course
from app.extensions import db
from tests.catalog.helpers import copy_example, edit
from tests.catalog.test_content_check import assert_reported, line_of

SECRET = "the server's own secret, outside every package"


def huge_png(width=30000, height=30000) -> bytes:
    """A PNG header claiming width x height pixels: a few dozen bytes that would decode to
    gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def assert_import_refused(app, package: Path):
    result = app.test_cli_runner().invoke(args=["content", "import", str(package)])
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def outside_file(tmp_path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    return secret


def test_a_symlinked_resource_is_refused(app, tmp_path):
    course = copy_example(tmp_path)
    (course / "files" / "checklist.txt").unlink()
    (course / "files" / "checklist.txt").symlink_to(outside_file(tmp_path))
    yaml_file = course / "course.yaml"
    line = line_of(yaml_file, "file: files/checklist.txt")
    assert_reported(app, course, yaml_file, line, "files/checklist.txt is a symbolic link")
    assert_import_refused(app, course)


def test_a_symlinked_folder_is_refused_even_when_it_stays_inside(app, tmp_path):
    course = copy_example(tmp_path)
    (course / "files").rename(course / "real-files")
    (course / "files").symlink_to(course / "real-files", target_is_directory=True)
    yaml_file = course / "course.yaml"
    line = line_of(yaml_file, "file: files/checklist.txt")
    assert_reported(app, course, yaml_file, line, "files is a symbolic link")


def test_a_symlinked_lesson_shown_as_text_is_refused(app, tmp_path):
    course = copy_example(tmp_path)
    lesson = course / "lessons" / "welcome.en.md"
    lesson.unlink()
    lesson.symlink_to(outside_file(tmp_path))
    yaml_file = course / "course.yaml"
    line = line_of(yaml_file, "lessons/welcome.en.md")
    assert_reported(app, course, yaml_file, line, "welcome.en.md is a symbolic link")
    assert_import_refused(app, course)


def test_a_picture_linked_from_a_lesson_through_a_symlink_is_refused(app, tmp_path):
    course = copy_example(tmp_path)
    (course / "files" / "diagram.png").unlink()
    (course / "files" / "diagram.png").symlink_to(outside_file(tmp_path))
    lesson = course / "lessons" / "welcome.es.md"
    line = line_of(lesson, "../files/diagram.png")
    assert_reported(app, course, lesson, line, "symbolic link")


def test_a_symlinked_course_yaml_or_course_folder_is_refused(app, tmp_path):
    course = copy_example(tmp_path)
    real = tmp_path / "elsewhere.yaml"
    (course / "course.yaml").rename(real)
    (course / "course.yaml").symlink_to(real)
    assert_reported(app, course, course / "course.yaml", 1, "symbolic link")

    package = tmp_path / "package"
    package.mkdir()
    (package / "linked").symlink_to(copy_example(tmp_path, "real"), target_is_directory=True)
    assert_reported(app, package, package / "linked" / "course.yaml", 1, "symbolic link")


def test_a_panorama_bomb_is_refused_at_its_line(app, tmp_path):
    course = copy_example(tmp_path)
    (course / "visits" / "demo" / "workshop.jpg").write_bytes(huge_png())
    yaml_file = course / "course.yaml"
    line = line_of(yaml_file, "panorama: visits/demo/workshop.jpg")
    assert_reported(app, course, yaml_file, line, "too large")
    assert_import_refused(app, course)


def test_a_picture_bomb_in_a_lesson_is_refused_at_its_line(app, tmp_path):
    course = copy_example(tmp_path)
    (course / "files" / "diagram.png").write_bytes(huge_png())
    lesson = course / "lessons" / "welcome.es.md"
    line = line_of(lesson, "../files/diagram.png")
    assert_reported(app, course, lesson, line, "diagram.png is too large")
    assert_import_refused(app, course)


def test_a_still_is_read_by_its_content_not_its_name(app, tmp_path):
    course = copy_example(tmp_path)
    (course / "visits" / "demo" / "hall.jpg").write_bytes(b"<html><script>alert(1)</script>")
    yaml_file = course / "course.yaml"
    line = line_of(yaml_file, "- file: visits/demo/hall.jpg")
    assert_reported(app, course, yaml_file, line, "hall.jpg is not a picture (PNG")


def test_a_yaml_alias_bomb_is_refused_at_once(app, tmp_path):
    course = copy_example(tmp_path)
    bomb = "".join(
        f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 12)
    )  # 9**11 nodes once expanded, in about a kilobyte
    yaml_file = course / "course.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    yaml_file.write_text("l0: &l0 [x]\n" + bomb + text, encoding="utf-8")
    assert len(yaml_file.read_bytes()) < len(text.encode()) + 2048
    assert_reported(app, course, yaml_file, 2, "alias *l0 is not allowed")
    assert_import_refused(app, course)


def test_an_oversized_course_yaml_is_refused(app, tmp_path):
    course = copy_example(tmp_path)
    edit(course / "course.yaml", "hours:", "# " + "x" * 1_100_000 + "\nhours:")
    assert_reported(app, course, course / "course.yaml", 1, "larger than 1024 KB")
