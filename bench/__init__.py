"""Benchmarks: `python -m bench NAME [--quick]` prints a table on stderr and JSON last on stdout."""
