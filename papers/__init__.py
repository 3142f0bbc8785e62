"""The `papers` command: run, ui, sql, status."""
