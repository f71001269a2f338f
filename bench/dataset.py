#!/usr/bin/env python3
"""Generates the benchmarks' dataset: log text (compressible) and random bytes, seeded.

Usage: dataset.py ROOT FILES SIZE_MB SEED TEXT_PCT
"""
import os, random, sys
root, files, size_mb, seed, text_pct = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rnd = random.Random(seed)
total = size_mb * 1_000_000
text_total = total * text_pct // 100
n_text = files * 2 // 3                      # most files are logs, the binary ones are larger
n_bin = files - n_text
levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
words = ("request served user session cache miss hit upstream timeout retry connection database query "
         "slow commit rollback backup started finished bytes GET POST /api/v1/items /login /metrics").split()
def log_block(n):
    lines, size = [], 0
    while size < n:
        l = "2026-%02d-%02dT%02d:%02d:%02d.%03dZ %s [%s] %s id=%d took=%dms\n" % (
            rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59),
            rnd.randint(0, 999), rnd.choice(levels), rnd.choice(["web", "worker", "db", "auth"]),
            " ".join(rnd.choice(words) for _ in range(rnd.randint(4, 12))), rnd.randint(1, 10**9), rnd.randint(0, 5000))
        lines.append(l); size += len(l)
    return "".join(lines).encode()[:n]
block = log_block(8 << 20)                    # a pool of log text, sliced at random offsets
def write_text(path, size):
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20); off = rnd.randrange(0, len(block) - n)
            f.write(block[off:off + n]); left -= n
def write_bin(path, size):
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20); f.write(rnd.randbytes(n)); left -= n
for kind, count, volume in (("log", n_text, text_total), ("bin", n_bin, total - text_total)):
    weights = [rnd.paretovariate(1.2) for _ in range(count)]
    s = sum(weights)
    for i, w in enumerate(weights):
        d = os.path.join(root, f"{kind}-{i % 40:02d}")
        os.makedirs(d, exist_ok=True)
        size = max(1, int(volume * w / s))
        (write_text if kind == "log" else write_bin)(os.path.join(d, f"{kind}-{i:05d}.{'log' if kind == 'log' else 'dat'}"), size)
