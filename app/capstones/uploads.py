"""Checking an uploaded file: its type from its content (libmagic), its size, its name.

A file is accepted when libmagic recognises an allowed type AND the name's extension is one
that type goes by: an HTML page or an SVG renamed `.pdf` is refused, as is a PDF named `.png`.
"""

import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core import files
from app.core.refusals import Refusal

# Groups an administrator can allow (CAPSTONE_FILE_TYPES), each: detected type -> extensions.
OFFICE_ZIP = ("docx", "xlsx", "pptx", "odt", "ods", "odp")
FILE_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "pdf": {"application/pdf": ("pdf",)},
    "office": {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
        "application/vnd.oasis.opendocument.text": ("odt",),
        "application/vnd.oasis.opendocument.spreadsheet": ("ods",),
        "application/vnd.oasis.opendocument.presentation": ("odp",),
        "application/msword": ("doc",),
        "application/vnd.ms-excel": ("xls",),
        "application/vnd.ms-powerpoint": ("ppt",),
        "application/x-ole-storage": ("doc", "xls", "ppt"),
        "application/CDFV2": ("doc", "xls", "ppt"),
        # libmagic names some office files by their container only
        "application/zip": OFFICE_ZIP,
    },
    "images": {
        "image/png": ("png",),
        "image/jpeg": ("jpg", "jpeg"),
        "image/webp": ("webp",),
        "image/gif": ("gif",),
    },
    "zip": {"application/zip": ("zip",)},
}
NAME_MAX = 120


class UploadRefused(Refusal, ValueError):
    """The file cannot be accepted; the message is for the learner or tutor."""


@dataclass
class CheckedFile:
    filename: str
    content_type: str
    data: bytes


def allowed_types() -> dict[str, tuple[str, ...]]:
    """Detected type -> extensions, for the groups this installation allows."""
    allowed: dict[str, tuple[str, ...]] = {}
    for group in current_app.config["CAPSTONE_FILE_TYPES"]:
        for content_type, extensions in FILE_TYPES[group].items():
            allowed[content_type] = allowed.get(content_type, ()) + extensions
    return allowed


def allowed_extensions(allowed: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    allowed = allowed_types() if allowed is None else allowed
    return sorted({e for extensions in allowed.values() for e in extensions})


def safe_filename(name: str) -> str:
    """The name to show and offer: its last path part, printable, at most NAME_MAX long
    (the extension kept). Never used as a path: files are stored under generated names."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/")
    name = PurePosixPath(name).name
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*').strip(" .")
    if not name:
        return "file"
    stem, dot, extension = name.rpartition(".")
    if dot and len(extension) <= 10:
        return stem[: NAME_MAX - len(extension) - 1] + "." + extension
    return name[:NAME_MAX]


def check_upload(
    filename: str,
    data: bytes,
    *,
    allowed: dict[str, tuple[str, ...]] | None = None,
    limit: int | None = None,
) -> CheckedFile:
    """The file as it may be stored, or UploadRefused saying why not.

    `allowed` (detected type -> extensions) and `limit` (bytes) default to the capstone
    settings; other areas (discussions) pass narrower ones and get the same checks."""
    shown = safe_filename(filename)
    limit = current_app.config["CAPSTONE_MAX_FILE_BYTES"] if limit is None else limit
    if not data:
        raise UploadRefused(_l("“%(name)s” is empty.", name=shown))
    if len(data) > limit:
        raise UploadRefused(
            _l(
                "“%(name)s” is larger than %(mb)s MB.",
                name=shown,
                mb=limit // (1024 * 1024),
            )
        )
    detected = files.content_type(data)
    extension = shown.rpartition(".")[2].lower() if "." in shown else ""
    allowed = allowed_types() if allowed is None else allowed
    if detected not in allowed:
        raise UploadRefused(
            _l(
                "“%(name)s” is not a file type we accept. Accepted: %(types)s.",
                name=shown,
                types=", ".join(allowed_extensions(allowed)),
            )
        )
    if detected.startswith("image/"):
        picture, _why = files.read_picture(data)
        if picture is None or picture.mime != detected:
            raise UploadRefused(
                _l(
                    "“%(name)s” is not a picture we can show, or it has more than %(num)s "
                    "million pixels.",
                    name=shown,
                    num=files.MAX_PICTURE_PIXELS // 1_000_000,
                )
            )
    if extension not in allowed[detected]:
        raise UploadRefused(
            _l(
                "“%(name)s” does not contain what its name says. Save it again as a real "
                "%(extension)s file, or give it the right extension.",
                name=shown,
                extension=extension.upper() or "?",
            )
        )
    if files.office_container_problem(data, extension):
        raise UploadRefused(
            _l(
                "“%(name)s” does not contain what its name says. Save it again as a real "
                "%(extension)s file, or give it the right extension.",
                name=shown,
                extension=extension.upper(),
            )
        )
    if detected == "application/zip" and extension == "zip":
        check_archive(shown, data)
    return CheckedFile(shown, _served_type(detected, extension), data)


ARCHIVE_REFUSALS = {
    "not a zip": _l("“%(name)s” is not a ZIP archive we can open."),
    "unsafe name": _l(
        "“%(name)s” holds “%(entry)s”, whose name points outside the archive's folder."
    ),
    "executable": _l("“%(name)s” holds a program (“%(entry)s”). Programs are not accepted."),
    "nested archive": _l(
        "“%(name)s” holds “%(entry)s”, an archive inside an archive inside it. Send the files "
        "in one ZIP, with at most one ZIP inside."
    ),
    "too many entries": _l("“%(name)s” holds more than %(num)s files."),
    "too large": _l("“%(name)s” is larger than %(mb)s MB unpacked."),
}


def check_archive(shown: str, data: bytes) -> None:
    """List a ZIP before it is accepted (app/core/files.py says what is refused)."""
    config = current_app.config
    _listed, problem = files.list_archive(
        data, max_entries=config["ARCHIVE_MAX_ENTRIES"], max_bytes=config["ARCHIVE_MAX_BYTES"]
    )
    if problem is not None:
        raise UploadRefused(
            ARCHIVE_REFUSALS[problem.kind]
            % {
                "name": shown,
                "entry": "".join(c for c in problem.entry if c.isprintable())[:120],
                "num": config["ARCHIVE_MAX_ENTRIES"],
                "mb": config["ARCHIVE_MAX_BYTES"] // (1024 * 1024),
            }
        )


def _served_type(detected: str, extension: str) -> str:
    """A precise type for office files libmagic knows only by container."""
    if detected in ("application/zip", "application/x-ole-storage", "application/CDFV2"):
        for content_type, extensions in FILE_TYPES["office"].items():
            if extensions == (extension,):
                return content_type
    return detected
