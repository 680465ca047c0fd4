"""``python -m bench``: run the benchmark suite and print its table (see ``bench``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.suite import BENCHMARKS, Options, run_suite


def parse_args(argv: list[str] | None = None) -> Options:
    """The command line as Options; exits with a usage error for bad values."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark KetaWatch's pipeline on generated sample data and print a table "
                    "(each figure the median of --runs runs, ratios against baselines measured "
                    "in the same invocation, peak memory per step).")
    parser.add_argument("--size", type=int, default=10_000,
                        help="underlying studies in the sample corpus (default 10000)")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of every measurement; the table shows medians (default 3)")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help=f"comma-separated benchmarks to run (default all: "
                             f"{','.join(BENCHMARKS)})")
    parser.add_argument("--subscribers", type=int, default=10_000,
                        help="subscribers of the digest benchmark (default 10000)")
    parser.add_argument("--seed", type=int, default=20261126, help="sample corpus seed")
    parser.add_argument("--json", dest="json_path", type=Path,
                        help="also write every run's figures to this JSON file")
    parser.add_argument("--out", type=Path, help="also write the table to this text file")
    parser.add_argument("--workdir", type=Path,
                        help="work folder (default: a temporary one, removed afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    parser.add_argument("--reuse-fixture", action="store_true",
                        help="with --workdir: use the fixture data folder a previous run left "
                             "there (same --size and --seed) instead of crawling it again")
    parser.add_argument("--profile", dest="profile_dir", type=Path,
                        help="run every measured step under cProfile and write the top "
                             "functions of each to this folder")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in only if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    if args.size < 50:
        parser.error("--size must be at least 50")
    if args.reuse_fixture and not args.workdir:
        parser.error("--reuse-fixture needs --workdir")
    if args.runs < 1 or args.subscribers < 1:
        parser.error("--runs and --subscribers must be at least 1")
    options = Options(size=args.size, runs=args.runs, only=only, seed=args.seed,
                      subscribers=args.subscribers, workdir=args.workdir, keep=args.keep,
                      reuse_fixture=args.reuse_fixture,
                      json_path=args.json_path, out_path=args.out,
                      profile_dir=args.profile_dir)
    return options


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print the table; exit code 1 when a benchmark failed."""
    options = parse_args(argv)
    result = run_suite(options, out=sys.stderr)
    sys.stdout.write("\n" + result.text)
    sys.stdout.flush()
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
