"""People: registration, sign-in, profiles, roles and the network's institutions."""
