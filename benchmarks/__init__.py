"""Benchmarks of papers-pipeline against a plain Polars program; see benchmarks/README.md."""
