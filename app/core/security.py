"""Security headers on every response."""

import re

from flask import Flask, Response
from werkzeug.routing import IntegerConverter

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-src 'none'",
        "frame-ancestors 'none'",
    ]
)

_PLAIN_HOST = re.compile(r"^[a-z0-9.-]{1,253}$")


def content_security_policy(frame_hosts=(), blob_images: bool = False) -> str:
    """The policy, except that a page may frame https:// pages of exactly these hosts, or
    show pictures its own script made (`blob:`, as the 360° viewer does)."""
    policy = CONTENT_SECURITY_POLICY
    if frame_hosts:
        if not all(_PLAIN_HOST.match(host) for host in frame_hosts):
            raise ValueError("frame hosts must be plain host names")
        frames = "frame-src " + " ".join(f"https://{host}" for host in sorted(frame_hosts))
        policy = policy.replace("frame-src 'none'", frames)
    if blob_images:
        policy = policy.replace("img-src 'self' data:", "img-src 'self' data: blob:")
    return policy


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in URLs: only ids the id columns can hold (INTEGER: 32 bits on PostgreSQL,
    the smaller of the two databases), so a larger number is a 404, never an overflow deep in
    the database driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def init_security_headers(app: Flask) -> None:
    """Add CSP, nosniff, Referrer-Policy and (outside development) HSTS to every response."""
    every = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if app.config["HSTS"]:
        every.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    every_lower = [(name.lower(), name, value) for name, value in every]

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        # Each header once, unless the view set its own (a page that frames a tour sets its
        # own policy): the names present are read once, not searched for each header.
        present = {name.lower() for name in headers.keys()}  # noqa: SIM118  (Headers)
        headers.extend([(name, value) for low, name, value in every_lower if low not in present])
        if "cache-control" in present:
            return response
        if response.mimetype == "text/html":
            # Pages may show personal data: never keep them in a shared cache.
            headers["Cache-Control"] = "no-store"
        elif "attachment" in headers.get("Content-Disposition", ""):
            # Downloads made for a person (a cohort's projects, a report) likewise; files
            # meant to be cached say so themselves.
            headers["Cache-Control"] = "private, no-store"
        return response
