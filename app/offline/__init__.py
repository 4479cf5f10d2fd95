"""Learning offline: the installable app, courses saved on the device, work queued offline and
sent once when the signal returns (idempotency keys), printable course packs."""
