"""Which tours may be framed: exact hosts, https only. Pure functions, no database.

The course package loader checks embed URLs with `embed_url_problem`; the administrators'
form checks each host it is given with `host_problem`. Hosts end up in a
Content-Security-Policy header, so only plain DNS names ever pass.
"""

import re
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

# Used until an administrator saves a list of their own (Administration › Study visit embeds):
# a 360° tour service and a video platform's privacy-enhanced player.
DEFAULT_EMBED_HOSTS = ("kuula.co", "www.youtube-nocookie.com")
MAX_HOSTS = 50
MAX_URL_LENGTH = 2000
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def host_problem(host: str):
    """Why `host` cannot go on the allow-list (a translated message), or None if it can."""
    if "://" in host or host.lower().startswith(("http:", "https:")):
        return _l("Write the host only, without “https://”: for example www.example.org.")
    if "*" in host:
        return _l("Wildcards are not allowed: list each host exactly.")
    if any(c in host for c in "/?#@"):
        return _l("Write the host only, without a path, query or user name.")
    if ":" in host:
        return _l("Write the host without a port.")
    if not host.isascii():
        return _l("Write internationalised names in their ASCII (xn--) form.")
    if len(host) > 253:
        return _l("A host has at most 253 characters.")
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return _l("Not a host name: use letters, digits, hyphens and dots, like www.example.org.")
    if labels[-1].isdigit():
        return _l("Use a host name, not an IP address.")
    return None


def embed_url_problem(url: str, hosts) -> str | None:
    """Why a package's embed URL is refused (for `file:line` reports), or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"embed URL longer than {MAX_URL_LENGTH} characters"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return "embed URL contains spaces or control characters"
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme != "https":
        if scheme in ("javascript", "data", "vbscript", "file", "blob", "filesystem"):
            return f"embed URL: {scheme}: URLs are not allowed; an embed is an https:// address"
        return "embed URL must start with https://"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "embed URL is not a valid address"
    if parts.username is not None or parts.password is not None:
        return "embed URL must not carry a user name or password"
    if port is not None:
        return "embed URL must not name a port"
    host = (parts.hostname or "").lower()
    if not host:
        return "embed URL has no host"
    if host not in hosts:
        listed = ", ".join(sorted(hosts)) or "none"
        return (
            f"embed host {host!r} is not on the allow-list of embed hosts "
            f"(Administration › Study visit embeds; allowed now: {listed})"
        )
    return None


def embed_host(url: str) -> str:
    """The host of a (checked) embed URL."""
    return (urlsplit(url).hostname or "").lower()
