"""PDF rendering with WeasyPrint, confined to the files we hand it.

The fetcher serves only the given in-memory files under the `package:` scheme and refuses
every other URL (network, file system, data:), so a document cannot reach anything else.
"""

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "package:"


class ConfinedFetcher(URLFetcher):
    """Serves `package:<path>` from a dictionary of files; refuses everything else."""

    def __init__(self, files: dict[str, bytes]):
        super().__init__(allowed_protocols=set(), fail_on_errors=False)
        self._files = files

    def fetch(self, url, headers=None):
        path = url[len(SCHEME) :] if url.startswith(SCHEME) else None
        if path is None or path not in self._files:
            raise ValueError(f"only the document's own files may be used, not {url[:100]!r}")
        return URLFetcherResponse(url, self._files[path])


def render_pdf(html: str, files: dict[str, bytes] | None = None) -> bytes:
    """Render the HTML to PDF bytes; it may use `package:<path>` URLs for `files`."""
    return HTML(string=html, url_fetcher=ConfinedFetcher(files or {})).write_pdf()
