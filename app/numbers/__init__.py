"""The network's map in numbers: a public page of counts per season, drawn on the server."""
