"""The published DuckDB warehouse: its views, example queries and the build-then-swap publish."""
