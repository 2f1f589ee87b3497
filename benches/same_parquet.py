#!/usr/bin/env python3
"""Whether two Parquet files hold the same table: the same columns, types
and Parquet key-value metadata, and the same rows (as a multiset, both
ways), read by DuckDB. Exit 0 if so; 1 with the first difference if not.

    python3 benches/same_parquet.py A.parquet B.parquet
"""
import sys

import duckdb

a, b = sys.argv[1], sys.argv[2]
con = duckdb.connect()


def schema(p):
    return con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [p]).fetchall()


def meta(p):
    return con.execute(
        "SELECT key, value FROM parquet_kv_metadata(?) ORDER BY key", [p]
    ).fetchall()


def rows(p):
    return con.execute("SELECT count(*) FROM read_parquet(?)", [p]).fetchone()[0]


if schema(a) != schema(b):
    sys.exit(f"columns differ:\n{schema(a)}\n{schema(b)}")
if meta(a) != meta(b):
    sys.exit(f"key-value metadata differs:\n{meta(a)}\n{meta(b)}")
if rows(a) != rows(b):
    sys.exit(f"rows differ: {rows(a)} and {rows(b)}")
for x, y in ((a, b), (b, a)):
    q = "SELECT count(*) FROM (SELECT * FROM read_parquet(?) EXCEPT ALL SELECT * FROM read_parquet(?))"
    n = con.execute(q, [x, y]).fetchone()[0]
    if n:
        sys.exit(f"{n} rows of {x} are not in {y}")
