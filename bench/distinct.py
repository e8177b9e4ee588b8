"""A benchmark export whose comments are mostly distinct, as a real export's are.

    .venv/bin/python bench/distinct.py --rows 200000 --out bench/data/distinct_200k.csv

``bench/generate.py``'s layout, world and scores (same seed, same rows), but each comment drawn from
``bench/comment_corpus.py``: real NHS patient comments and variants of them, nearly all distinct (the detractors'
mostly critical ones). ``bench/generate.py`` draws from pools of 5,000 composed comments, so a million rows
have few distinct comments and theme tagging, once per distinct comment, hardly shows in its figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import comment_corpus  # noqa: E402
import generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    size = max(args.rows // 2, 1)  # a pool per group as large as the rows that can draw from it
    pools = tuple(
        np.array(comment_corpus.comments(size, seed=args.seed + g, critical_share=share), dtype=object)
        for g, share in enumerate((0.8, 0.4, 0.05))
    )
    for g in range(3):  # the real comments come first in each list: shuffle so every group gets variants
        np.random.default_rng([args.seed, 3, g]).shuffle(pools[g])
    generate.POOL_SIZE = size
    generate.build_comment_pools = lambda seed: pools
    args.out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    generate.write_csv(args.out, args.rows, args.seed)
    print(f"wrote {args.rows} rows to {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
