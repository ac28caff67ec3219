"""Run every benchmark module in this folder, each in its own process.

A benchmark module is any benchmarks/<name>.py with a `main()`; `python -m benchmarks.run`
runs them all, `python -m benchmarks.run classifier import` only those whose names start so.
Each prints its own figures; RESULTS.md keeps the recorded ones with machine and date.
"""

import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{platform.node()} · {platform.system()} {platform.release()} · {cpu} · {os.cpu_count()} cores · Python {platform.python_version()}"


def modules(prefixes: list[str]) -> list[str]:
    names = []
    for path in sorted(HERE.glob("*.py")):
        name = path.stem
        if name in ("__init__", "run") or name.startswith("_"):
            continue
        if "def main(" not in path.read_text(encoding="utf-8"):
            continue
        if prefixes and not any(name.startswith(prefix) for prefix in prefixes):
            continue
        names.append(name)
    return names


def main() -> int:
    prefixes = sys.argv[1:]
    print(f"# AppWatch benchmarks, {time.strftime('%Y-%m-%d %H:%M %Z')}\n# {machine()}\n")
    failed = []
    for name in modules(prefixes):
        print(f"## {name}", flush=True)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", f"import benchmarks.{name} as m; m.main()"], cwd=HERE.parent
        )
        print(
            f"({name}: {time.perf_counter() - started:.0f} s, exit {result.returncode})\n",
            flush=True,
        )
        if result.returncode:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
