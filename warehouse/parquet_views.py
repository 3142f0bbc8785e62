"""The published tables are views over Parquet data files; this is the one shape such a view has."""

from __future__ import annotations

import re
from pathlib import Path

# How duckdb_views() spells a view made from view_sql(): the name may be quoted or not.
_VIEW = re.compile(r"""CREATE VIEW (?:"[^"]+"|\w+) AS SELECT \* FROM read_parquet\('((?:[^']|'')*)'\);?""")


def sql_string(text: str) -> str:
    """`text` as a SQL string literal. DDL such as CREATE VIEW takes no bound parameters, so a data
    file's path (from the user's settings, never from page data) is quoted here instead."""
    return "'" + text.replace("'", "''") + "'"


def view_sql(data_file: Path) -> str:
    """The query of a published table: every row of its data file, as staged, by absolute path
    (DuckDB resolves relative paths against the reader's working directory, not the file's)."""
    return f"SELECT * FROM read_parquet({sql_string(str(data_file.resolve()))})"


def data_file_of(view_definition: str) -> Path | None:
    """The data file a view of that one shape reads, else None (a table, or any other query)."""
    match = _VIEW.fullmatch(view_definition.strip())
    return Path(match.group(1).replace("''", "'")) if match else None
