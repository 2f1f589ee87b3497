#!/usr/bin/env python3
"""Generate a large, realistic Redis RDB dump for benchmarks.

Starts a private redis-server (127.0.0.1, a free port, its own temporary
--dir, no persistence), fills it server-side with the Lua batches in
gen_dump.lua (one EVALSHA writes one batch of 10^3-10^5 keys), runs SAVE and
copies dump.rdb to --out. Prints the dump size and the keys by type/encoding.

The data set is deterministic for a given --seed and --size-mb, except that
TTLs are absolute times relative to "now". Python 3 standard library only;
the RESP client and the server wrapper come from fixtures/gen/resp.py.

    python3 benches/gen_dump.py --size-mb 1024 --out benches/data/bench-1g.rdb
"""

import argparse
import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
LUA_PATH = os.path.join(HERE, "gen_dump.lua")

# The RESP client and throw-away redis-server shared with the fixture generators.
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fixtures" / "gen"))
from resp import RedisServer, RespError  # noqa: E402

# Upstream Redis 7.0 defaults, set explicitly: Debian's build ships different
# ones (e.g. hash-max-listpack-entries 512).
CONFIG = [
    ("hash-max-listpack-entries", "128"),
    ("hash-max-listpack-value", "64"),
    ("set-max-intset-entries", "512"),
    ("zset-max-listpack-entries", "128"),
    ("zset-max-listpack-value", "64"),
    ("list-max-listpack-size", "-2"),
    ("list-compress-depth", "0"),
    ("stream-node-max-bytes", "4096"),
    ("stream-node-max-entries", "100"),
    ("rdbcompression", "yes"),
]
# Redis 7.2+ only (listpack sets); ignored where unknown.
OPTIONAL_CONFIG = [
    ("set-max-listpack-entries", "128"),
    ("set-max-listpack-value", "64"),
]

# One "round" of the bulk data at full scale: (kind, db, count). ~130k keys,
# ~15 MB of dump. A round is repeated until the dump reaches --size-mb.
ROUND = [
    ("session", 0, 18000),
    ("counter", 0, 30000),
    ("cache", 0, 15000),
    ("rate", 0, 8000),
    ("profile", 0, 15000),
    ("cart", 0, 5000),
    ("small", 0, 8000),
    ("medium", 0, 40),
    ("nodelim", 0, 2000),
    ("hll", 0, 3),
    ("jobs", 1, 5000),
]
# Ids of one round never overlap another round's.
ROUND_ID_STRIDE = 100000

# The handful of huge collections, at 1024 MB (scaled with --size-mb).
BIG = [
    ("zset", "leaderboard:global", 1000000),
    ("zset", "leaderboard:weekly", 200000),
    ("list", "events:clickstream", 1000000),
    ("set_str", "online:users", 500000),
    ("set_int", "processed:order_ids", 300000),
    ("hash", "index:email", 500000),
]
BIG_CHUNK = 100000

# Streams: (key, flavour, entries, groups: [(name, consumers, read each, ackmod)])
STREAMS = [
    ("events:orders", "orders", 5000, [("billing", 3, 600, 4), ("analytics", 1, 5000, 0)]),
    ("events:signups", "signups", 3000, [("mailer", 2, 400, 3)]),
    ("events:audit", "audit", 2500, []),
]
STREAM_BASE_MS = 1735689600000  # 2025-01-01T00:00:00Z

RATE_CLUSTER = 12000


def batch_seed(seed, *parts):
    h = hashlib.sha256(("%d:" % seed + ":".join(map(str, parts))).encode()).digest()
    return int.from_bytes(h[:4], "big") % 2147483647


class Generator:
    def __init__(self, r, seed, now_ms, dump_path):
        self.r = r
        self.seed = seed
        self.now_ms = now_ms
        self.dump_path = dump_path
        self.db = 0
        self.sha = r.call("SCRIPT", "LOAD", open(LUA_PATH).read()).decode()

    def select(self, db):
        if db != self.db:
            self.r.call("SELECT", db)
            self.db = db

    def run(self, kind, start, count, *extra, db=0, tag="", seed_extra=True):
        """One EVALSHA batch. Its PRNG seed comes from the arguments (the
        extra ones only when seed_extra, i.e. when they are not clock times)."""
        self.select(db)
        seed = batch_seed(self.seed, kind, start, count, tag, *(extra if seed_extra else ()))
        return self.r.call("EVALSHA", self.sha, 0, kind, seed, start, count, self.now_ms, *extra)

    def save(self):
        self.r.call("SAVE")
        return os.path.getsize(self.dump_path)

    def census(self, db):
        self.select(db)
        counts = {}
        cursor = "0"
        while True:
            res = self.r.call("EVALSHA", self.sha, 0, "census", 0, cursor, 200000, 0)
            cursor = res[0].decode()
            for i in range(1, len(res), 2):
                k = res[i].decode()
                counts[k] = counts.get(k, 0) + res[i + 1]
            if cursor == "0":
                return counts


def fmt_mb(n):
    return "%.1f MiB" % (n / 1048576)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=1024,
                    help="approximate dump size in MiB (default 1024)")
    ap.add_argument("--seed", type=int, default=1, help="data set seed (default 1)")
    ap.add_argument("--out", default=os.path.join(HERE, "data", "bench-1g.rdb"),
                    help="where to write the dump (default benches/data/bench-1g.rdb)")
    ap.add_argument("--redis-server", default=shutil.which("redis-server") or "/usr/bin/redis-server",
                    help="redis-server binary (default: from PATH)")
    ap.add_argument("--no-census", action="store_true",
                    help="skip counting keys by type/encoding (saves ~10 s per GB)")
    args = ap.parse_args()

    target = int(args.size_mb * 1048576)
    # At small sizes shrink the big collections and the rounds, so that the
    # size can still be hit with several rounds.
    big_scale = args.size_mb / 1024.0
    round_scale = min(1.0, args.size_mb / 150.0)
    now_ms = int(time.time() * 1000)

    t0 = time.time()
    # rdbchecksum is immutable (cannot be CONFIG SET): it goes on the command line.
    with RedisServer(args.redis_server, {"rdbchecksum": "yes"}, dir_prefix="rdbscope-gen-") as srv:
        client = srv.conn
        client.sock.settimeout(None)  # SAVE and big EVALs take a while
        version = client.call("INFO", "server").decode().split("redis_version:")[1].split()[0]
        print("redis-server %s on 127.0.0.1, dir %s" % (version, srv.dir), flush=True)
        for k, v in CONFIG:
            client.call("CONFIG", "SET", k, v)
        for k, v in OPTIONAL_CONFIG:
            try:
                client.call("CONFIG", "SET", k, v)
            except RespError:
                pass
        g = Generator(client, args.seed, now_ms, srv.dump_path())

        # Fixed part: huge collections, streams, the same-second TTL cluster.
        for typ, key, members in BIG:
            total = max(1000, int(members * big_scale))
            for off in range(0, total, BIG_CHUNK):
                g.run("big", off, min(BIG_CHUNK, total - off), typ, key)
        for si, (key, flavour, entries, groups) in enumerate(STREAMS):
            g.run("stream", 1, entries, key, flavour, STREAM_BASE_MS + si * 86400000)
            for name, consumers, each, ackmod in groups:
                g.run("stream_group", 0, 0, key, name, consumers, each, ackmod)
        cluster_sec = (now_ms // 1000) + 2 * 3600
        g.run("rate_cluster", 0, RATE_CLUSTER, cluster_sec, seed_extra=False)
        t_fixed = time.time()
        fixed_size = g.save()
        print("fixed part (big collections, streams, TTL cluster): %s in %.1f s"
              % (fmt_mb(fixed_size), t_fixed - t0), flush=True)

        def run_round(i):
            base = (i + 1) * ROUND_ID_STRIDE
            for kind, db, count in ROUND:
                g.run(kind, base, max(1, int(count * round_scale)), db=db, tag=i)

        run_round(0)
        size1 = g.save()
        per_round = max(1, size1 - fixed_size)
        rounds = max(1, int(round((target - fixed_size) / per_round)))
        print("one round: %s; %d rounds for %s" % (fmt_mb(per_round), rounds, fmt_mb(target)),
              flush=True)
        tr = time.time()
        for i in range(1, rounds):
            run_round(i)
            if i % 10 == 0 or i == rounds - 1:
                el = time.time() - tr
                print("  round %d/%d, %.0f s, ~%.1f rounds/s" % (i + 1, rounds, el, i / el), flush=True)
        t_load = time.time()

        g.select(0)
        info = client.call("INFO", "keyspace").decode()
        mem = client.call("INFO", "memory").decode().split("used_memory_human:")[1].split()[0]
        size = g.save()
        t_save = time.time()
        census = {}
        if not args.no_census:
            for line in info.splitlines():
                if line.startswith("db"):
                    db = int(line.split(":")[0][2:])
                    census[db] = g.census(db)
        t_census = time.time()

        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        tmp_out = args.out + ".tmp"
        shutil.copyfile(srv.dump_path(), tmp_out)
        os.replace(tmp_out, args.out)
        t_end = time.time()

    print()
    print("wrote %s: %d bytes (%s), target %s, seed %d"
          % (args.out, size, fmt_mb(size), fmt_mb(target), args.seed))
    print("redis used_memory %s" % mem)
    print("time: load %.1f s, SAVE %.1f s, census %.1f s, copy %.1f s, total %.1f s"
          % (t_load - t0, t_save - t_load, t_census - t_save, t_end - t_census, t_end - t0))
    print()
    for line in info.splitlines():
        if line.startswith("db"):
            print(line.strip())
    if census:
        print()
        print("%-4s %-8s %-12s %10s" % ("db", "type", "encoding", "keys"))
        grand = 0
        for db in sorted(census):
            for k in sorted(census[db]):
                typ, enc = k.split("/")
                print("%-4d %-8s %-12s %10d" % (db, typ, enc, census[db][k]))
                grand += census[db][k]
        print("%-4s %-8s %-12s %10d" % ("all", "", "", grand))
    return 0


if __name__ == "__main__":
    sys.exit(main())
