"""`make bench`: run every benchmark in bench/ one after another, streaming its output.

A benchmark is any bench/*.py except this file and helper modules, whose names start with an
underscore. Each prints its figures and budgets and exits non-zero when over budget or broken;
this runner exits non-zero if any of them did.
"""

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent


def benchmarks() -> list[Path]:
    return sorted(
        path
        for path in BENCH_DIR.glob("*.py")
        if path.name != Path(__file__).name and not path.name.startswith("_")
    )


def main() -> int:
    failed: list[str] = []
    scripts = benchmarks()
    if not scripts:
        print("bench: no benchmark found in bench/", flush=True)
        return 1
    for script in scripts:
        name = script.relative_to(REPO_ROOT)
        print(f"== {name}", flush=True)
        started = time.monotonic()
        # Output is inherited, so it streams as the benchmark prints it.
        result = subprocess.run([sys.executable, str(script)], cwd=REPO_ROOT, check=False)
        elapsed = time.monotonic() - started
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"== {name}: {status} in {elapsed:.0f} s", flush=True)
        if result.returncode != 0:
            failed.append(str(name))
    if failed:
        print(f"bench: {len(failed)} of {len(scripts)} failed: {', '.join(failed)}", flush=True)
        return 1
    print(f"bench: all {len(scripts)} passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
