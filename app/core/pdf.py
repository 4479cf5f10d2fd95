"""PDF rendering with WeasyPrint, confined to the files we hand it, optionally time-limited.

The fetcher (app/core/pdf_engine.py, loaded on the first render) serves only the given
in-memory files under the `package:` scheme and refuses every other URL (network, file
system, data:), so a document cannot reach anything else.

Documents that name the same `fonts_key` (a design and its version) share WeasyPrint's font
configuration, kept per thread, so the fonts are found and loaded once rather than for each
document: that is about a third of a certificate's render.

A time-limited render runs in a helper process kept warm between renders (WeasyPrint's fonts
and caches stay loaded); a render that overruns is stopped by ending that process, which a
thread could not do. The next render starts a fresh one.
"""

import multiprocessing
import threading
from multiprocessing.pool import Pool

SCHEME = "package:"
# A helper process is replaced after this many renders, so a slow leak cannot grow forever.
RENDERS_PER_PROCESS = 500


class RenderTimeout(Exception):
    """A render ran past its time limit and was stopped."""


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
    # WeasyPrint (and Pango through cffi) loads on the first render, not when the app starts:
    # a web worker that never renders never pays for it.
    from app.core.pdf_engine import render

    return render(html, files, fonts_key)


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
