"""PDF rendering with WeasyPrint, confined to the files we hand it, optionally time-limited.

The fetcher serves only the given in-memory files under the `package:` scheme and refuses
every other URL (network, file system, data:), so a document cannot reach anything else.

Documents that name the same `fonts_key` (a design and its version) share WeasyPrint's font
configuration, kept per thread, so the fonts are found and loaded once rather than for each
document: that is about a third of a certificate's render.

A time-limited render runs in a helper process kept warm between renders (WeasyPrint's fonts
and caches stay loaded); a render that overruns is stopped by ending that process, which a
thread could not do. The next render starts a fresh one.
"""

import mimetypes
import multiprocessing
import threading
from collections import OrderedDict
from multiprocessing.pool import Pool

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "package:"
# A helper process is replaced after this many renders, so a slow leak cannot grow forever.
RENDERS_PER_PROCESS = 500
# Font configurations kept per thread, the most recently used ones.
FONT_CONFIGURATIONS_KEPT = 8


class RenderTimeout(Exception):
    """A render ran past its time limit and was stopped."""


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


def render_pdf(
    html: str,
    files: dict[str, bytes] | None = None,
    *,
    timeout: float | None = None,
    fonts_key: str | None = None,
) -> bytes:
    """Render the HTML to PDF bytes; it may use `package:<path>` URLs for `files`.

    With `timeout` (seconds) the render runs in the helper process and raises RenderTimeout
    when it takes longer. Documents with the same `fonts_key` must declare the same fonts
    (the same @font-face rules): they share the fonts once loaded.
    """
    if timeout is None:
        return _render(html, files or {}, fonts_key)
    pool = _helper_pool()
    pending = pool.apply_async(_render, (html, files or {}, fonts_key))
    try:
        return pending.get(timeout)
    except multiprocessing.TimeoutError:
        _discard(pool)
        raise RenderTimeout(f"the render took longer than {timeout:g} s and was stopped") from None


def _render(html: str, files: dict[str, bytes], fonts_key: str | None) -> bytes:
    document = HTML(string=html, url_fetcher=ConfinedFetcher(files))
    return document.write_pdf(font_config=font_configuration(fonts_key))


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


_lock = threading.Lock()
_pool: Pool | None = None


def _helper_pool() -> Pool:
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: the caller may be a threaded web or job process.
            context = multiprocessing.get_context("spawn")
            _pool = context.Pool(processes=1, maxtasksperchild=RENDERS_PER_PROCESS)
        return _pool


def _discard(pool: Pool) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.terminate()
