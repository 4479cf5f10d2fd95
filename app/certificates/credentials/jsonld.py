"""RDF canonicalisation (RDFC-1.0) of credentials, with contexts from vendored files only.

The contexts in `contexts/` are byte copies of those the Digital Credentials Consortium ships
on npm (the W3C VC 2.0 context and Open Badges 3.0.3): a document naming any other context is
refused, so canonicalising never reaches the network and nobody can swap a context under us.
"""

import json
from functools import cache
from pathlib import Path

from pyld import jsonld

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
FOLDER = Path(__file__).parent / "contexts"
FILES = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3: "ob-v3p0-context-3.0.3.json",
}


class UnknownContext(ValueError):
    """A document names a context we do not hold."""


@cache
def context(url: str) -> dict:
    """The vendored context document of `url`."""
    name = FILES.get(url)
    if name is None:
        raise UnknownContext(f"context {url!r} is not one we know (no network is used)")
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


def document_loader(url: str, _options=None) -> dict:
    """pyld's document loader: vendored contexts, nothing else."""
    try:
        document = context(url)
    except UnknownContext as error:
        raise jsonld.JsonLdError(str(error), "jsonld.LoadDocumentError") from error
    return {"contextUrl": None, "documentUrl": url, "document": document}


def canonicalise(document: dict) -> str:
    """The document's canonical N-Quads (RDFC-1.0; URDNA2015 in pyld's words, the same
    algorithm)."""
    return jsonld.normalize(
        document,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": document_loader,
        },
    )
