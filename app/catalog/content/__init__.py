"""Course packages as files (YAML + Markdown): their format, validation and rendering."""
