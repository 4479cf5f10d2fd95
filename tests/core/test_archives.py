"""A ZIP is listed before it is accepted, and refused when it holds a program, an archive in
an archive in it, a name climbing out of its folder, or too many files or bytes."""

import io
import stat
import zipfile

import pytest

from app.capstones.uploads import UploadRefused, check_upload
from app.core.files import list_archive

LIMITS = {"max_entries": 50, "max_bytes": 1_000_000}


def zip_of(entries: dict, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            if isinstance(data, zipfile.ZipInfo):
                archive.writestr(data, b"target")
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


def problem_of(data, **limits):
    _listed, problem = list_archive(data, **{**LIMITS, **limits})
    return (problem.kind, problem.entry) if problem else None


def test_a_plain_archive_is_listed_and_accepted():
    data = zip_of({"plan.pdf": b"%PDF-1.4 ...", "notes/readme.txt": b"hello", "notes/": b""})
    listed, problem = list_archive(data, **LIMITS)
    assert problem is None
    assert [(e.name, e.size) for e in listed] == [("plan.pdf", 12), ("notes/readme.txt", 5)]


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "a/../../evil.txt", "/etc/passwd", "\\windows\\evil.txt", "C:/evil.txt",
     "a\\..\\..\\evil.txt"],
)  # fmt: skip
def test_names_climbing_out_are_refused(name):
    assert problem_of(zip_of({name: b"x"})) == ("unsafe name", name)


def test_a_link_is_refused():
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    assert problem_of(zip_of({"link": link})) == ("unsafe name", "link")


@pytest.mark.parametrize(
    "name, data",
    [
        ("setup.exe", b"anything"),
        ("tool.DLL", b"anything"),
        ("run.sh", b"echo hi"),
        ("report.pdf", b"MZ\x90\x00\x03\x00"),  # a Windows program named as a PDF
        ("notes.txt", b"\x7fELF\x02\x01\x01"),  # a Linux program named as text
        ("script", b"#!/bin/sh\nrm -rf /"),
        ("app.jar", b"PK\x03\x04"),
    ],
)
def test_programs_are_refused(name, data):
    assert problem_of(zip_of({"ok.txt": b"fine", name: data})) == ("executable", name)


def test_one_level_of_zip_inside_is_listed_and_accepted():
    inner = zip_of({"chapter.pdf": b"%PDF-1.4"})
    listed, problem = list_archive(zip_of({"parts.zip": inner}), **LIMITS)
    assert problem is None
    assert [e.name for e in listed] == ["parts.zip", "parts.zip/chapter.pdf"]


def test_what_a_zip_inside_holds_is_checked_too():
    inner = zip_of({"../escape.txt": b"x"})
    assert problem_of(zip_of({"parts.zip": inner})) == ("unsafe name", "parts.zip/../escape.txt")
    inner = zip_of({"virus.exe": b"MZ"})
    assert problem_of(zip_of({"parts.zip": inner}))[0] == "executable"


def test_archives_nested_beyond_one_level_are_refused():
    deepest = zip_of({"a.txt": b"x"})
    middle = zip_of({"deeper.zip": deepest})
    assert problem_of(zip_of({"parts.zip": middle})) == ("nested archive", "parts.zip/deeper.zip")
    # A ZIP renamed, inside a ZIP inside: found by its first bytes.
    middle = zip_of({"photo.jpg": deepest})
    assert problem_of(zip_of({"parts.zip": middle})) == ("nested archive", "parts.zip/photo.jpg")


@pytest.mark.parametrize("name", ["parts.7z", "parts.rar", "parts.tar.gz"])
def test_archives_that_cannot_be_listed_are_refused_inside(name):
    assert problem_of(zip_of({name: b"\x1f\x8b\x08 not listed"})) == ("nested archive", name)


def test_office_documents_inside_are_not_archives():
    docx = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    assert problem_of(zip_of({"report.docx": docx})) is None


def test_too_many_entries_are_refused():
    many = zip_of({f"f{n}.txt": b"x" for n in range(51)})
    assert problem_of(many)[0] == "too many entries"
    inner = zip_of({f"f{n}.txt": b"x" for n in range(40)})
    outer = zip_of({**{f"g{n}.txt": b"x" for n in range(10)}, "more.zip": inner})
    assert problem_of(outer)[0] == "too many entries"  # counted with what is inside


def test_too_many_bytes_unpacked_are_refused():
    bomb = zip_of({"zeros.txt": b"\0" * 2_000_000})
    assert len(bomb) < 10_000
    assert problem_of(bomb) == ("too large", "zeros.txt")


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04garbage", b"not a zip at all"])
def test_broken_archives_are_refused(data):
    assert problem_of(data) == ("not a zip", "")


def test_a_capstone_upload_refuses_a_zip_holding_a_program(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(UploadRefused, match="holds a program"):
            check_upload("project.zip", zip_of({"plan.pdf": b"%PDF-1.4", "run.exe": b"MZ"}))
        with pytest.raises(UploadRefused, match="outside the archive"):
            check_upload("project.zip", zip_of({"../../app.py": b"print()"}))
        checked = check_upload("project.zip", zip_of({"plan.pdf": b"%PDF-1.4"}))
        assert checked.content_type == "application/zip"


def test_the_limits_are_settings(app):
    saved = app.config["ARCHIVE_MAX_ENTRIES"]
    app.config["ARCHIVE_MAX_ENTRIES"] = 2
    try:
        with (
            app.test_request_context(headers={"Accept-Language": "en"}),
            pytest.raises(UploadRefused, match="more than 2 files"),
        ):
            check_upload("project.zip", zip_of({f"{n}.txt": b"x" for n in range(3)}))
    finally:
        app.config["ARCHIVE_MAX_ENTRIES"] = saved
