"""Institution coordinators: people who speak for one member institution on the platform."""
