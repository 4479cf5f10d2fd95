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
