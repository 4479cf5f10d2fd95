"""Fill the English catalog: English is the source language, so each msgstr is its msgid.

Run by `make update-catalogs`; entries already translated (wording fixes) are kept.
"""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main(path: str) -> None:
    po_path = Path(path)
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = message.id
        elif not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with po_path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, width=100)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "app/translations/en/LC_MESSAGES/messages.po")
