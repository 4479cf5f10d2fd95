"""The observatory of experiences: what member institutions did, open to everyone."""
