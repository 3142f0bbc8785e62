"""The cookbook: named, tested queries of the published warehouse, one `.sql` file each in `queries/`.

A query file starts with comment lines: the first is its one-line summary ("Title: what it answers"),
the next ones explain it, and a line `-- param NAME = DEFAULT: description` (or `-- param NAME:
description` for a required one) declares a DuckDB named parameter `$NAME`. Values are bound as
prepared parameters, never pasted into the SQL, so user input cannot change the query's meaning.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

QUERY_FOLDER = "queries"
_PARAM_LINE = re.compile(r"^--\s*param\s+(?P<name>\w+)\s*(?:=\s*(?P<default>[^:]*?))?\s*:\s*(?P<about>.*)$")


class CookbookError(ValueError):
    """An unknown query name or parameter, or a missing parameter value: the user's to fix."""


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    default: str | None = None

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    details: str
    params: tuple[QueryParam, ...]
    sql: str

    def bind(self, given: Mapping[str, str]) -> dict[str, str]:
        """Exactly the declared parameters, from `given` or their defaults (DuckDB rejects extra ones)."""
        declared = {param.name for param in self.params}
        unknown = sorted(set(given) - declared)
        if unknown:
            accepted = ", ".join(sorted(declared)) or "none"
            raise CookbookError(f"query {self.name} has no parameter {unknown[0]} (accepted: {accepted})")
        values: dict[str, str] = {}
        for param in self.params:
            value = given.get(param.name, param.default)
            if value is None:
                raise CookbookError(
                    f"query {self.name} needs --param {param.name}=VALUE ({param.description})"
                )
            values[param.name] = value
        return values

    def usage(self) -> str:
        """The command that runs this query, with each parameter shown as its default or a placeholder."""
        shown = [f"--param {p.name}={p.default if p.default is not None else '...'}" for p in self.params]
        return " ".join(["papers sql --query", self.name, *shown])


def parse_query(name: str, text: str) -> NamedQuery:
    """Read the header comments of one query file into its summary, details and parameters."""
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line.strip())
    if not header:
        raise CookbookError(f"query {name} has no summary comment on its first line")
    params: list[QueryParam] = []
    details: list[str] = []
    for line in header[1:]:
        match = _PARAM_LINE.match(line)
        if match:
            params.append(QueryParam(match["name"], match["about"].strip(), match["default"]))
        else:
            details.append(line.removeprefix("--").strip())
    summary = header[0].removeprefix("--").strip()
    return NamedQuery(name, summary, " ".join(details), tuple(params), text)


def list_queries() -> list[NamedQuery]:
    """Every query of the cookbook, sorted by name."""
    folder = resources.files("warehouse").joinpath(QUERY_FOLDER)
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".sql")), key=lambda e: e.name)
    return [
        parse_query(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")) for entry in files
    ]


def load_query(name: str) -> NamedQuery:
    """One query by name; an unknown name suggests the closest ones."""
    queries = {query.name: query for query in list_queries()}
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "`papers queries` lists them"
    raise CookbookError(f"no query named {name!r} in the cookbook: {hint}")


def parse_param_assignments(assignments: list[str]) -> dict[str, str]:
    """`["title=HART", "min_pages=3"]` as a mapping; the value may itself contain `=`."""
    values: dict[str, str] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key.strip():
            raise CookbookError(f"--param {assignment!r} is not of the form NAME=VALUE")
        values[key.strip()] = value
    return values
