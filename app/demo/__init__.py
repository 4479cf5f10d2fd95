"""Demo data for development and benchmarks: `flask demo setup` (the accounts and season
`make run` shows) and `flask demo generate` (many learners at once). Nothing imports this area
but the CLI registration; it refuses to run in production."""
