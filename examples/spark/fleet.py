#!/usr/bin/env python3
"""A fleet's dumps into one Parquet dataset and one report with Apache Spark.

Each dump is read by the rdbscope binary on the executor that gets it
(`mapPartitions`), which writes one Parquet file per dump into OUT (a
directory every executor can write: a shared file system, or a local one in
local mode) with labels naming the dump, and a partial report
(`report --format json --mergeable`, into OUT.reports). The driver then reads OUT as one
table and answers the playbook's questions in SQL, and with --report FILE
reduces the partial reports with `rdbscope merge` into the report of the
whole fleet: the same document `rdbscope report` over all the dumps prints.

    spark-submit examples/spark/fleet.py --rdbscope /usr/local/bin/rdbscope \\
        --out /shared/keys --report fleet.json DUMP...
    python3 examples/spark/fleet.py ...   # local[2] when no master is set

With --json, prints the aggregates as JSON (what tests/fleet.rs compares
with `rdbscope report`) instead of the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess


# The options of every partial report (they must be the same to merge).
REPORT_OPTIONS = ["--slots"]


def keys_to_parquet(rdbscope: str, out: str, reports: str | None):
    """For mapPartitions: (index, dump path) → (index, dump, partial
    report or None, exit code, stderr)."""

    def run(part):
        for i, dump in part:
            target = os.path.join(out, f"part-{i:05d}.parquet")
            node = os.path.basename(dump)
            p = subprocess.run(
                [rdbscope, "keys", dump, "--quiet", "--format", "parquet", "-o", target,
                 "--label", f"node={node}", "--threads", "1"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            # 2: a damaged dump; its rows before the damage are written.
            code, err = p.returncode, p.stderr.decode(errors="replace")[-2000:]
            report = None
            if reports and code == 0:
                report = os.path.join(reports, f"part-{i:05d}.json")
                r = subprocess.run(
                    [rdbscope, "report", dump, "--quiet", "--format", "json", "--mergeable",
                     "--threads", "1", "-o", report, *REPORT_OPTIONS],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                code, err = r.returncode, r.stderr.decode(errors="replace")[-2000:]
            yield i, dump, report, code, err

    return run


QUERIES = {
    "by_type": "SELECT type, count(*) AS keys, sum(bytes) AS bytes FROM keys GROUP BY type",
    "by_db": "SELECT db, count(*) AS keys, sum(bytes) AS bytes FROM keys GROUP BY db",
    "top_prefixes": """
        SELECT prefix_1, count(*) AS keys, sum(bytes) AS bytes,
               round(avg(CASE WHEN expire_at_ms IS NULL THEN 1.0 ELSE 0.0 END), 4) AS no_ttl_share
        FROM keys GROUP BY prefix_1 ORDER BY bytes DESC, prefix_1 LIMIT 20""",
    "nodes": """
        SELECT node, count(*) AS keys, sum(bytes) AS bytes FROM keys
        GROUP BY node ORDER BY bytes DESC""",
    "same_second": """
        SELECT floor(expire_at_ms / 1000) AS second, count(*) AS keys, sum(bytes) AS bytes
        FROM keys WHERE expire_at_ms IS NOT NULL
        GROUP BY 1 HAVING count(*) > 1 ORDER BY keys DESC, second LIMIT 10""",
    "top_slots": """
        SELECT slot, count(*) AS keys, sum(bytes) AS bytes FROM keys
        GROUP BY slot ORDER BY bytes DESC, slot LIMIT 10""",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rdbscope", default="rdbscope",
                    help="the rdbscope binary on the executors and the driver (default: rdbscope "
                         "on PATH)")
    ap.add_argument("--out", required=True,
                    help="a new or empty directory for the Parquet files (partial reports go to "
                         "OUT.reports)")
    ap.add_argument("--json", action="store_true", help="print the aggregates as JSON")
    ap.add_argument("--report", metavar="FILE",
                    help="also write the fleet's report (JSON), merged from per-dump reports made "
                         "with --slots: what `rdbscope report --slots DUMP...` prints")
    ap.add_argument("dumps", nargs="+", metavar="DUMP",
                    help="dump files, one per node; the node label is the file's name, so name "
                         "them apart (node1.rdb, ...)")
    args = ap.parse_args()

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("rdbscope-fleet")
    if "spark.master" not in os.environ.get("SPARK_CONF", "") and not os.environ.get("MASTER"):
        builder = builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
    spark = builder.config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    os.makedirs(args.out, exist_ok=True)
    # Spark reads every file of OUT: an earlier run's would be counted too.
    for d in (args.out, args.out.rstrip("/") + ".reports"):
        if os.path.isdir(d) and os.listdir(d):
            ap.error(f"{d} is not empty: give a new directory (an earlier run's files would be "
                     "counted again)")

    dumps = [os.path.abspath(d) for d in args.dumps]
    rdd = spark.sparkContext.parallelize(list(enumerate(dumps)), min(len(dumps), 64))
    reports = None
    if args.report:
        reports = os.path.abspath(args.out) + ".reports"
        os.makedirs(reports, exist_ok=True)
    run = keys_to_parquet(args.rdbscope, os.path.abspath(args.out), reports)
    results = sorted(rdd.mapPartitions(run).collect())
    # A damaged dump (2) still gives its rows, but no report to merge.
    failed = [r for r in results if r[3] not in (0, 2) or (args.report and r[3] != 0)]
    if failed:
        for _, dump, _, code, err in failed:
            print(f"{dump}: rdbscope exited {code}: {err}")
        return 1
    if args.report:
        # The reduce step: small documents, merged on the driver in dump order.
        subprocess.run([args.rdbscope, "merge", "--format", "json", "-o", args.report,
                        *[r[2] for r in results]], check=True)

    spark.read.parquet(os.path.abspath(args.out)).createOrReplaceTempView("keys")
    answers = {}
    for name, q in QUERIES.items():
        rows = spark.sql(q).collect()
        answers[name] = [r.asDict() for r in rows]
    if args.json:
        print(json.dumps(answers, default=str))
    else:
        for name, rows in answers.items():
            print(f"\n{name}")
            for r in rows:
                print("  " + "  ".join(f"{k}={v}" for k, v in r.items()))
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
