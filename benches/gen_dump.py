#!/usr/bin/env python3
"""Generate a large, realistic Redis RDB dump for benchmarks.

Starts a private redis-server (127.0.0.1, a free port, its own temporary
--dir, no persistence), fills it server-side with the Lua batches in
gen_dump.lua (one EVALSHA writes one batch of 10^3-10^5 keys), runs SAVE and
copies dump.rdb to --out. Prints the dump size and the keys by type/encoding.

--profile chooses the data set:

  mixed (default)  small strings, hashes, lists, sets and zsets of a web
                   application, a few huge collections and streams; 32 % of
                   the keys with a TTL (10 min to 48 h), one cluster of
                   12,000 keys expiring in the same second.
  many-prefix      tenant<T>:<collection>:<id>[:<id>] keys: 20,000 tenants
                   (skewed: tenant1 has 0.7 % of the keys) x 25 collections;
                   ids numeric, uuid-like, dates, or names the prefix report
                   keeps (slugs, emails, SKU-/INV-/TASK- codes, flag and
                   route names). At 5 M keys: 20,000, ~0.5 M and ~2.8 M
                   distinct prefixes at depth 1, 2 and 3. Small strings
                   (67 %), listpack hashes (25 %), small sets (8 %), 8 % with
                   a TTL. --keys N: exactly N keys (else about --size-mb).
  ttl-heavy        mixed's batches (the same keys and values; fewer rounds
                   for the same --size-mb), but ~95 % of the keys expire
                   15 min to 30 days ahead (4 % in the first hour, 56 % in
                   the first day, 25 % in days 1-7, 15 % in days 7-30), plus
                   clusters: 50,000 keys expiring at the same millisecond (a
                   top of the hour 3-4 h ahead), mixed's 12,000 in one
                   second (2 h ahead), and 4,000, 3,000 and 5,000 keys each
                   within one minute (26 h, 3 d 5 h and 8 d ahead). The
                   generation must finish within 15 minutes (it warns when
                   keys expired before SAVE).

The data set is deterministic for a given --profile, --seed and --size-mb
(or --keys), except that TTLs are absolute times relative to "now". Python 3
standard library only; the RESP client and the server wrapper come from
fixtures/gen/resp.py.

    python3 benches/gen_dump.py --size-mb 1024 --out benches/data/bench-1g.rdb
    python3 benches/gen_dump.py --profile many-prefix --keys 5000000 --out benches/data/many-prefix-5m.rdb
    python3 benches/gen_dump.py --profile ttl-heavy --size-mb 512 --out benches/data/ttl-heavy.rdb
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

PROFILES = ("mixed", "many-prefix", "ttl-heavy")
DEFAULT_OUT = {"mixed": "bench-1g.rdb", "many-prefix": "many-prefix.rdb",
               "ttl-heavy": "ttl-heavy.rdb"}

# --profile ttl-heavy: the clusters besides RATE_CLUSTER. QUOTA_CLUSTER keys
# expire at the same millisecond, the top of the hour 3-4 h ahead (never the
# second of RATE_CLUSTER, 2 h ahead); each MINUTE_CLUSTERS entry is (key
# prefix, keys, offset from now in s): its keys expire within one whole
# minute, 50-84 a second (below the 100 keys of a second cluster in the report).
QUOTA_CLUSTER = 50000
MINUTE_CLUSTERS = [
    ("invite", 4000, 26 * 3600),
    ("promo:claim", 3000, 3 * 86400 + 5 * 3600),
    ("export:token", 5000, 8 * 86400),
]

# --profile many-prefix: tenants, and keys per EVALSHA batch (the batches
# are the same for the same key count, whatever --keys or --size-mb set it).
MP_TENANTS = 20000
MP_BATCH = 50000


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

    def run(self, kind, start, count, *extra, db=0, tag="", seed_extra=True, respread=False):
        """One EVALSHA batch. Its PRNG seed comes from the arguments (the
        extra ones only when seed_extra, i.e. when they are not clock times).
        respread (--profile ttl-heavy): run it as "ttl:<kind>", the same keys
        and values (the same seed), then new expiry times for ~95 % of them."""
        self.select(db)
        seed = batch_seed(self.seed, kind, start, count, tag, *(extra if seed_extra else ()))
        name = "ttl:" + kind if respread else kind
        return self.r.call("EVALSHA", self.sha, 0, name, seed, start, count, self.now_ms, *extra)

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


def utc(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def main():
    parts = __doc__.split("\n\n")
    ap = argparse.ArgumentParser(description=parts[0], epilog="\n\n".join(parts[2:4]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=PROFILES, default="mixed",
                    help="data set: mixed (default), many-prefix or ttl-heavy (see below)")
    ap.add_argument("--size-mb", type=float, default=1024,
                    help="approximate dump size in MiB (default 1024)")
    ap.add_argument("--keys", type=int, metavar="N",
                    help="--profile many-prefix only: exactly N keys (instead of --size-mb)")
    ap.add_argument("--seed", type=int, default=1, help="data set seed (default 1)")
    ap.add_argument("--out",
                    help="where to write the dump (default benches/data/bench-1g.rdb; "
                         "many-prefix.rdb or ttl-heavy.rdb there for those profiles)")
    ap.add_argument("--redis-server", default=shutil.which("redis-server") or "/usr/bin/redis-server",
                    help="redis-server binary (default: from PATH)")
    ap.add_argument("--no-census", action="store_true",
                    help="skip counting keys by type/encoding (saves ~10 s per GB)")
    args = ap.parse_args()
    if args.keys is not None and args.profile != "many-prefix":
        ap.error("--keys is for --profile many-prefix only")
    if args.keys is not None and args.keys < 1:
        ap.error("--keys must be at least 1")
    if args.out is None:
        args.out = os.path.join(HERE, "data", DEFAULT_OUT[args.profile])

    target = int(args.size_mb * 1048576)
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
        ttl_heavy = args.profile == "ttl-heavy"

        if args.profile == "many-prefix":
            fill_many_prefix(g, args, target)
        else:
            fill_rounds(g, args, target, ttl_heavy, t0)
        t_load = time.time()

        g.select(0)
        info = client.call("INFO", "keyspace").decode()
        mem = client.call("INFO", "memory").decode().split("used_memory_human:")[1].split()[0]
        # Keys with a TTL that ran out before SAVE: the dump lacks them.
        expired = int(client.call("INFO", "stats").decode().split("expired_keys:")[1].split()[0])
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
          % (args.out, size, fmt_mb(size), fmt_mb(target) if args.keys is None else
             "%d keys" % args.keys, args.seed))
    if args.profile != "mixed":
        print("profile %s" % args.profile)
    print("redis used_memory %s" % mem)
    if expired:
        print("WARNING: %d keys expired during generation and are not in the dump" % expired)
    print("time: load %.1f s, SAVE %.1f s, census %.1f s, copy %.1f s, total %.1f s"
          % (t_load - t0, t_save - t_load, t_census - t_save, t_end - t_census, t_end - t0))
    print()
    keys = expires = 0
    for line in info.splitlines():
        if line.startswith("db"):
            print(line.strip())
            fields = dict(kv.split("=") for kv in line.split(":", 1)[1].split(","))
            keys += int(fields["keys"])
            expires += int(fields["expires"])
    if args.profile != "mixed":
        print("all: keys=%d, expires=%d (%.1f %%)" % (keys, expires, 100.0 * expires / max(1, keys)))
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


def fill_rounds(g, args, target, ttl_heavy, t0):
    """--profile mixed and ttl-heavy: the fixed part, then rounds of the bulk
    mix until the dump reaches --size-mb. ttl-heavy writes the same keys and
    values as mixed (plus its clusters) with other expiry times."""
    # At small sizes shrink the big collections and the rounds, so that the
    # size can still be hit with several rounds.
    big_scale = args.size_mb / 1024.0
    round_scale = min(1.0, args.size_mb / 150.0)
    now_ms = g.now_ms

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
    if ttl_heavy:
        quota_ms = (now_ms // 3600000 + 4) * 3600000
        g.run("quota_cluster", 0, QUOTA_CLUSTER, quota_ms, seed_extra=False)
        clusters = ["%d keys at %s (same second)" % (RATE_CLUSTER, utc(cluster_sec * 1000)),
                    "%d keys at %s (same ms)" % (QUOTA_CLUSTER, utc(quota_ms))]
        for ci, (prefix, count, offset) in enumerate(MINUTE_CLUSTERS):
            minute_ms = (now_ms + offset * 1000) // 60000 * 60000
            g.run("minute_cluster", ci * ROUND_ID_STRIDE, count, minute_ms, prefix,
                  seed_extra=False, tag=prefix)
            clusters.append("%d %s:* keys in the minute from %s" % (count, prefix, utc(minute_ms)))
        print("TTL clusters: " + "; ".join(clusters), flush=True)
    t_fixed = time.time()
    fixed_size = g.save()
    print("fixed part (big collections, streams, TTL %s): %s in %.1f s"
          % ("clusters" if ttl_heavy else "cluster", fmt_mb(fixed_size), t_fixed - t0), flush=True)

    def run_round(i):
        base = (i + 1) * ROUND_ID_STRIDE
        for kind, db, count in ROUND:
            g.run(kind, base, max(1, int(count * round_scale)), db=db, tag=i, respread=ttl_heavy)

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


def fill_many_prefix(g, args, target):
    """--profile many-prefix: --keys keys in batches of MP_BATCH; without
    --keys, the first batch is saved to measure the bytes per key and the
    count is set for --size-mb (rounded to whole batches)."""
    total = args.keys
    t = time.time()
    done = 0
    if total is None:
        g.run("tenants", 0, MP_BATCH, MP_TENANTS)
        done = MP_BATCH
        per_key = g.save() / MP_BATCH
        total = max(1, int(round(target / per_key / MP_BATCH))) * MP_BATCH
        print("first %d keys: %.1f bytes each in the dump; %d keys for %s"
              % (MP_BATCH, per_key, total, fmt_mb(target)), flush=True)
    for start in range(done, total, MP_BATCH):
        g.run("tenants", start, min(MP_BATCH, total - start), MP_TENANTS)
        end = min(total, start + MP_BATCH)
        if (end // MP_BATCH) % 20 == 0 or end == total:
            el = time.time() - t
            print("  %d/%d keys, %.0f s, ~%.0fk keys/s" % (end, total, el, end / el / 1000), flush=True)


if __name__ == "__main__":
    sys.exit(main())
