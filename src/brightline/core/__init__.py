"""Brightline's pure computational core.

Nothing under ``brightline.core`` imports Django: every module takes plain data
(dataclasses, Arrow tables, Polars/DuckDB frames) and returns typed results, so it can
be tested without a database and published on its own.
"""
