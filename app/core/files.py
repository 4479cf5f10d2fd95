"""What a file is, read from its content with the same rules everywhere: uploads (capstone
projects, reviews), course packages (lesson pictures, stills, panoramas, resources) and
stored files.

A name's extension never decides alone: libmagic reads the content, a PDF must begin with
its header, and a picture must open in Pillow as the type it claims, within a pixel limit, so
that a decompression bomb is refused before any pixel is decoded.
"""

import io
import warnings
import zipfile

import magic
from PIL import Image, UnidentifiedImageError

# Picture types the platform shows inline, by the name Pillow gives them.
PICTURE_TYPES = {
    "PNG": ("image/png", ("png",)),
    "JPEG": ("image/jpeg", ("jpg", "jpeg")),
    "WEBP": ("image/webp", ("webp",)),
    "GIF": ("image/gif", ("gif",)),
}
PICTURE_EXTENSIONS = {f".{e}" for _mime, extensions in PICTURE_TYPES.values() for e in extensions}
# A 6000 x 4000 camera photo is 24 million pixels; anything much larger is no lesson picture.
MAX_PICTURE_PIXELS = 25_000_000
PDF_HEADER = b"%PDF-"


def content_type(data: bytes) -> str:
    """The type libmagic reads in the bytes, made strict where libmagic is lenient: a PDF
    must begin with its header (libmagic finds `%PDF-` further in, after an HTML page)."""
    detected = magic.from_buffer(data, mime=True)
    if detected == "application/pdf" and not data.startswith(PDF_HEADER):
        return "text/html" if b"<" in data[:1024] else "application/octet-stream"
    return detected


class Picture:
    """A picture's type and size, read from its header without decoding its pixels."""

    def __init__(self, kind: str, width: int, height: int):
        self.kind, self.width, self.height = kind, width, height

    @property
    def mime(self) -> str:
        return PICTURE_TYPES[self.kind][0]

    @property
    def pixels(self) -> int:
        return self.width * self.height


def read_picture(data: bytes, max_pixels: int = MAX_PICTURE_PIXELS) -> tuple[Picture | None, str]:
    """(the picture, "") or (None, why it is not one the platform shows), in English.

    The reason is one of: "not a picture", "a <TYPE> picture" (a type not shown inline),
    "<w>x<h> pixels, more than <limit>".
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as picture:
                kind, (width, height) = picture.format, picture.size
                if width * height > max_pixels:
                    return None, f"{width}x{height} pixels, more than {max_pixels:,} in all"
                picture.verify()  # structure and checksums; decodes no pixels
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, f"more than {max_pixels:,} pixels in all"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return None, "not a picture"
    if kind not in PICTURE_TYPES:
        return None, f"a {kind} picture"
    return Picture(kind, width, height), ""


# Office documents are ZIP containers; a ZIP holding anything, renamed .docx, is not one.
OOXML_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml",
                   "pptx": "ppt/presentation.xml"}  # fmt: skip
ODF_MIMETYPE = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
MAX_CONTAINER_ENTRIES = 10_000


def office_container_problem(data: bytes, extension: str) -> str | None:
    """Why the bytes are not the OOXML or OpenDocument container `extension` names, or None
    (other extensions: None). In English, for logs; callers say it in the person's words."""
    if extension not in OOXML_MAIN_PART and extension not in ODF_MIMETYPE:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_CONTAINER_ENTRIES:
                return "too many entries"
            names = {entry.filename for entry in entries}
            if extension in OOXML_MAIN_PART:
                if "[Content_Types].xml" not in names or OOXML_MAIN_PART[extension] not in names:
                    return f"not an OOXML {extension} container"
                return None
            first = entries[0] if entries else None
            if first is None or first.filename != "mimetype" or first.file_size > 100:
                return f"not an OpenDocument {extension} container"
            if archive.read(first).decode("ascii", "replace").strip() != ODF_MIMETYPE[extension]:
                return f"not an OpenDocument {extension} container"
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return "not a ZIP container"
    return None


# Archives (ZIP uploads) -----------------------------------------------------------------
#
# A ZIP is listed before it is accepted: every entry's name, size and first bytes are read
# (nothing is extracted), and it is refused when it holds a program, an archive inside an
# archive inside it, a name that climbs out of the folder it would be unpacked in (`..`, an
# absolute path, a drive letter, a link), or more entries or uncompressed bytes than allowed.

EXECUTABLE_EXTENSIONS = frozenset({
    "exe", "dll", "com", "bat", "cmd", "msi", "msp", "scr", "cpl", "pif", "lnk", "hta", "ps1",
    "psm1", "vbs", "vbe", "wsf", "wsh", "jse", "jar", "apk", "app", "dmg", "pkg", "deb", "rpm",
    "sh", "bash", "csh", "ksh", "run", "bin", "elf", "so", "dylib", "reg", "gadget",
})  # fmt: skip
ARCHIVE_EXTENSIONS = frozenset({
    "zip", "7z", "rar", "tar", "gz", "tgz", "bz2", "tbz", "xz", "txz", "zst", "cab", "iso",
    "arj", "lz", "lzh",
})  # fmt: skip
# First bytes of programs: Windows (MZ), ELF, Mach-O (both byte orders, fat), scripts (#!).
EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
ARCHIVE_MAGIC = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",
    b"MSCF",
)
_OFFICE_EXTENSIONS = set(OOXML_MAIN_PART) | set(ODF_MIMETYPE)
_S_IFLNK = 0o120000


class ArchiveEntry:
    """One file of an archive, as listed: its path inside, and its size unpacked."""

    def __init__(self, name: str, size: int):
        self.name, self.size = name, size


class ArchiveProblem:
    """Why an archive is refused: `kind` is one of "not a zip", "unsafe name", "executable",
    "nested archive", "too many entries", "too large"; `entry` names the file concerned."""

    def __init__(self, kind: str, entry: str = ""):
        self.kind, self.entry = kind, entry

    def __repr__(self) -> str:
        return f"ArchiveProblem({self.kind!r}, {self.entry!r})"


def _unsafe_name(name: str) -> bool:
    path = name.replace("\\", "/")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":") or "\x00" in path:
        return True
    return any(part == ".." for part in path.split("/"))


def _extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rpartition(".")[2].lower() if "." in base else ""


def list_archive(
    data: bytes, *, max_entries: int, max_bytes: int
) -> tuple[list[ArchiveEntry], ArchiveProblem | None]:
    """The archive's files (nested ZIPs' files too, named `outer.zip/inner/file`) and the
    first reason to refuse it, or None."""
    listed: list[ArchiveEntry] = []
    budget = {"entries": max_entries, "bytes": max_bytes}
    try:
        problem = _walk(data, "", 0, listed, budget)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError,
            EOFError, RuntimeError):  # fmt: skip
        problem = ArchiveProblem("not a zip")
    return listed, problem


def _walk(data: bytes, prefix: str, depth: int, listed: list, budget: dict):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
        budget["entries"] -= len(entries)
        if budget["entries"] < 0:
            return ArchiveProblem("too many entries")
        for entry in entries:
            name = prefix + entry.filename
            if _unsafe_name(entry.filename) or (entry.external_attr >> 16) & 0o170000 == _S_IFLNK:
                return ArchiveProblem("unsafe name", name)
            if entry.is_dir():
                continue
            budget["bytes"] -= entry.file_size
            if budget["bytes"] < 0:
                return ArchiveProblem("too large", name)
            listed.append(ArchiveEntry(name, entry.file_size))
            extension = _extension(entry.filename)
            if extension in EXECUTABLE_EXTENSIONS:
                return ArchiveProblem("executable", name)
            with archive.open(entry) as stream:
                head = stream.read(8)
            if head.startswith(EXECUTABLE_MAGIC):
                return ArchiveProblem("executable", name)
            is_archive = extension in ARCHIVE_EXTENSIONS or (
                head.startswith(ARCHIVE_MAGIC) and extension not in _OFFICE_EXTENSIONS
            )
            if not is_archive:
                continue
            # One level of archives inside is allowed, when it is a ZIP we can list too.
            if depth >= 1 or not head.startswith(b"PK"):
                return ArchiveProblem("nested archive", name)
            with archive.open(entry) as stream:
                inner = stream.read(budget["bytes"] + entry.file_size + 1)
            if len(inner) > entry.file_size:  # the header lied about the size
                return ArchiveProblem("too large", name)
            problem = _walk(inner, name + "/", depth + 1, listed, budget)
            if problem is not None:
                return problem
    return None
