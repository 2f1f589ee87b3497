#!/usr/bin/env python3
"""Make a bigger RDB 9 dump out of a small one, for tools that read RDB <= 9
only (redis-rdb-tools): the keyspace is repeated N times, copy i renumbered
to databases i*D .. i*D+D-1 (D = databases in the source), so every (db, key)
pair is unique. The header and AUX fields are kept; the CRC-64 is written as
0 ("not stored"). A server loads the result when its `databases` is at least
N*D.

Needs redis-rdb-tools (`pip install rdbtools python-lzf`): its parser finds
where each SELECTDB opcode and the EOF opcode sit; the bytes in between are
copied as they are.

    python3 benches/rdb9_repeat.py SRC.rdb OUT.rdb N
"""
import sys

from rdbtools.parser import RdbCallback, RdbParser


class Offsets(RdbCallback):
    """File offsets of each SELECTDB opcode and of the EOF opcode."""

    def __init__(self, fd):
        super().__init__(string_escape=None)
        self.fd = fd
        self.selectdb, self.eof = [], None

    def start_database(self, db_number):
        # Called after the opcode and the 1-byte db number (source dbs < 64).
        assert db_number < 64, db_number
        self.selectdb.append(self.fd.tell() - 2)

    def end_rdb(self):
        self.eof = self.fd.tell() - 1


def enc_len(v):
    """RDB length encoding (6- or 14-bit)."""
    assert v < 16384
    return bytes([v]) if v < 64 else bytes([0x40 | (v >> 8), v & 0xFF])


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = open(src, "rb").read()
    if not (data[:5] == b"REDIS" and int(data[5:9]) <= 9):
        sys.exit("%s: not an RDB <= 9 file" % src)
    fd = open(src, "rb")
    cb = Offsets(fd)
    RdbParser(cb).parse_fd(fd)
    assert data[cb.eof] == 0xFF and all(data[s] == 0xFE for s in cb.selectdb)
    bounds = cb.selectdb + [cb.eof]
    # Each database's records, without its SELECTDB opcode and number.
    segs = [data[bounds[j] + 2:bounds[j + 1]] for j in range(len(cb.selectdb))]
    with open(out, "wb") as f:
        f.write(data[:cb.selectdb[0]])
        for i in range(n):
            for j, seg in enumerate(segs):
                f.write(b"\xfe" + enc_len(i * len(segs) + j) + seg)
        f.write(b"\xff" + b"\x00" * 8)
        size = f.tell()
    print("%s: %d bytes, %d copies of the %d databases of %s (dbs 0..%d)"
          % (out, size, n, len(segs), src, n * len(segs) - 1))


if __name__ == "__main__":
    main()
