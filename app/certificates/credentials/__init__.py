"""Open Badges 3.0 credentials for certificates, signed so anyone can check them without us.

- `contexts/` and `jsonld.py`: the JSON-LD contexts, vendored, and RDF canonicalisation
  (RDFC-1.0) that never touches the network.
- `proof.py`: Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (Ed25519).
- `keys.py`: the issuer's keyring (Ed25519 keys and the X.509 certificate the PDFs are signed
  with); private keys live in files or environment variables, never in the database.
- `did.py`: the issuer's `did:web` identifier and DID document (`/.well-known/did.json`).
- `build.py`: a certificate as an `OpenBadgeCredential` (W3C VC 2.0).
- `status.py`: Bitstring Status Lists, signed, updated on revocation and restoration.
- `verify.py`: checks a credential from its DID document and status list alone.
"""
