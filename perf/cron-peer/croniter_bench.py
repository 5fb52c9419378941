#!/usr/bin/env python3
"""croniter's side of the cron benchmark (see perf/README.md): the same mix as
perf/CronBenchmark, timed the same way. Prints `croniter <rate> next/s (...)`."""
import json
import os
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from importlib.metadata import version as package_version
from croniter import croniter

HERE = os.path.dirname(os.path.abspath(__file__))
MIX = json.load(open(os.path.join(HERE, "mix.json")))
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0


def spelling(expr):
    """Our `nL` in day-of-week is croniter's `Ln`."""
    parts = expr.split(" ")
    if len(parts) >= 5:
        parts[-1] = ",".join("L" + x[:-1] if len(x) > 1 and x[-1] in "lL" else x for x in parts[-1].split(","))
    return " ".join(parts)


def one_pass():
    computed = 0
    for zone_name in MIX["zones"]:
        start = datetime.fromtimestamp(MIX["start"], ZoneInfo(zone_name))
        for expr in MIX["expressions"]:
            it = croniter(spelling(expr), start, implement_cron_bug=True, second_at_beginning=True)
            for _ in range(MIX["occurrences"]):
                it.get_next(datetime)
            computed += MIX["occurrences"]
    return computed


one_pass()  # warm-up
computed, began = 0, time.perf_counter()
while time.perf_counter() - began < SECONDS:
    computed += one_pass()
elapsed = time.perf_counter() - began
version = package_version("croniter")
print(f"croniter {computed / elapsed:.0f} next/s ({len(MIX['expressions'])} expressions x {len(MIX['zones'])} zones "
      f"x {MIX['occurrences']} occurrences, {computed} in {elapsed:.1f} s, croniter {version}, "
      f"Python {sys.version.split()[0]})")
