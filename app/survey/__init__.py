"""The network survey: administrators ask, each institution's coordinator answers once."""
