"""Check that the machine has what the platform needs beyond Python packages.

Run as `python -m app.core.system_check`; exits non-zero with the Debian packages to install.
"""

import sys

DEBIAN_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core libmagic1"


def main() -> int:
    try:
        import weasyprint  # noqa: F401  (loads Pango and HarfBuzz through cffi)
    except OSError as error:
        print(
            "WeasyPrint (certificates and practical guides as PDF) cannot load a system library:\n"
            f"  {error}\n"
            "On Debian or Ubuntu, install them with:\n"
            f"  sudo apt-get install -y {DEBIAN_PACKAGES}",
            file=sys.stderr,
        )
        return 1
    try:
        import magic  # noqa: F401  (python-magic loads libmagic)
    except ImportError as error:
        print(
            "Uploaded files are checked by libmagic, which cannot be loaded:\n"
            f"  {error}\n"
            "On Debian or Ubuntu, install it with:\n"
            f"  sudo apt-get install -y {DEBIAN_PACKAGES}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--packages"]:
        print(DEBIAN_PACKAGES)
        sys.exit(0)
    sys.exit(main())
