"""Sample the memory of running `mlcards build` processes (Linux /proc) until they end.

    python benchmarks/sample_memory.py [--interval 0.2] [--match "mlcards.cli build"]

ru_maxrss (what `--timings-json` reports) counts every page a process has touched,
also those a forked worker still shares with its parent, so a worker's figure
includes most of the main process's. This prints, for the processes whose command
line contains --match (the build and its workers), the peak of the sum of their
PSS (proportional set size: a shared page counts once, split among its sharers),
the build's real footprint, and each process's peak RSS, PSS and private memory.
"""

from __future__ import annotations

import argparse
import os
import time


def _fields(pid: str) -> dict[str, int] | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    out = {}
    for line in lines[1:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            out[name] = int(parts[0])  # kB
    return out


def _matching(match: str) -> list[str]:
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if match in cmd and "sample_memory" not in cmd:
            pids.append(pid)
    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--match", default="mlcards.cli build")
    parser.add_argument("--wait", type=float, default=600.0,
                        help="seconds to wait for a matching process to start")
    args = parser.parse_args()
    deadline = time.monotonic() + args.wait
    while not _matching(args.match):
        if time.monotonic() > deadline:
            raise SystemExit("no matching process")
        time.sleep(args.interval)
    peak_total = 0
    per: dict[str, tuple[int, int, int]] = {}
    while pids := _matching(args.match):
        total = 0
        for pid in pids:
            f = _fields(pid)
            if f is None:
                continue
            rss, pss = f.get("Rss", 0), f.get("Pss", 0)
            private = f.get("Private_Clean", 0) + f.get("Private_Dirty", 0)
            total += pss
            old = per.get(pid, (0, 0, 0))
            per[pid] = (max(old[0], rss), max(old[1], pss), max(old[2], private))
        peak_total = max(peak_total, total)
        time.sleep(args.interval)
    print(f"peak sum of PSS over the build's processes: {peak_total / 1024:.0f} MiB")
    rows = sorted(per.items(), key=lambda kv: -kv[1][0])[:6]
    for pid, (rss, pss, private) in rows:
        print(f"  pid {pid}: peak RSS {rss / 1024:.0f} MiB, PSS {pss / 1024:.0f} MiB, "
              f"private {private / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
