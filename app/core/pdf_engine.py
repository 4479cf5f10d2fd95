"""WeasyPrint's side of app/core/pdf.py, imported on the first render: the confined fetcher and
the font configurations kept per thread."""

import mimetypes
import threading
from collections import OrderedDict

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.core.pdf import SCHEME

# Font configurations kept per thread, the most recently used ones.
FONT_CONFIGURATIONS_KEPT = 8


def render(html: str, files: dict[str, bytes], fonts_key: str | None) -> bytes:
    """The HTML as PDF bytes, fetching only `package:` files from `files`."""
    document = HTML(string=html, url_fetcher=ConfinedFetcher(files))
    return document.write_pdf(font_config=font_configuration(fonts_key))


class ConfinedFetcher(URLFetcher):
    """Serves `package:<path>` from a dictionary of files; refuses everything else."""

    def __init__(self, files: dict[str, bytes]):
        super().__init__(allowed_protocols=set(), fail_on_errors=False)
        self._files = files

    def fetch(self, url, headers=None):
        path = url[len(SCHEME) :] if url.startswith(SCHEME) else None
        if path is None or path not in self._files:
            raise ValueError(f"only the document's own files may be used, not {url[:100]!r}")
        # Stylesheets are only used when they say they are CSS.
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, self._files[path], headers={"Content-Type": kind})


_fonts = threading.local()


def font_configuration(key: str | None) -> FontConfiguration:
    """A new configuration without a key; else this thread's one for the key."""
    if key is None:
        return FontConfiguration()
    kept = getattr(_fonts, "kept", None)
    if kept is None:
        kept = _fonts.kept = OrderedDict()
    if key in kept:
        kept.move_to_end(key)
    else:
        kept[key] = FontConfiguration()
        if len(kept) > FONT_CONFIGURATIONS_KEPT:
            kept.popitem(last=False)
    return kept[key]
