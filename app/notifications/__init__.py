"""The notification centre: what concerns a person, in the platform, by mail at once or in a
daily digest, as each person chooses per kind (the kinds are a registry: kinds.py)."""
