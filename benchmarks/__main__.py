"""`make bench`: run every benchmark (or those named) at its default size, one after the other.

    python -m benchmarks [screening ingest linkage ratings ratings_german api portal]

Each prints its own figures and ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import importlib
import sys
import time

ALL = ("ratings_german", "screening", "ingest", "linkage", "ratings", "api", "portal")


def main(argv: list[str]) -> int:
    names = argv or list(ALL)
    unknown = [n for n in names if n not in ALL]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(ALL)}", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"=== benchmarks.{name}", flush=True)
        start = time.perf_counter()
        try:
            importlib.import_module(f"benchmarks.{name}").main([])
        except Exception as exc:  # one benchmark failing must not hide the others' figures
            failed.append(name)
            print(f"benchmarks.{name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"=== benchmarks.{name}: {time.perf_counter() - start:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
