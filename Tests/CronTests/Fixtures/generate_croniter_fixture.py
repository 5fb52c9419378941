#!/usr/bin/env python3
"""Generates the croniter fixture that CronFixtureTests compares against.

An independent implementation (croniter 7.0.0 from PyPI, with Python's zoneinfo) computes
the next 5 occurrences of random valid cron expressions in several zones from several start
instants. Usage, from the repository root:

    python3 -m venv /tmp/croniter-venv && /tmp/croniter-venv/bin/pip install croniter==7.0.0
    /tmp/croniter-venv/bin/python Tests/CronTests/Fixtures/generate_croniter_fixture.py

Writes, next to this script:
- croniter-next.jsonl: a header object, then one line per expression:
  [expression, [[zone index, start, d1, d2, d3, d4, d5], ...]] where start is Unix seconds,
  d1 = first occurrence - start and d(i) = occurrence i - occurrence i-1 (compact deltas).
- croniter-excluded.jsonl: a header object, then one line per case left out, with
  croniter's answer and the reason. Cases are left out only where croniter departs from our
  rules (the module's own tests cover those rules):
  * fixed-hour-repeat: croniter fires a repeated local time a second time at fall-back
    although the hour field is fixed (our rule: first occurrence only).
  * star-hour-gap-skip: with the hour field `*`, croniter skips a local time that does not
    exist at spring-forward (our rule: it fires at the first instant after the jump).
  * star-hour-repeat-skip: with the hour field `*` or `*/n`, croniter misses some second
    occurrences of a repeated local time at fall-back (our rule: every real occurrence).
  * gap-shift-keeps-seconds: with a seconds field, croniter moves a local time that does not
    exist forward by whole minutes, keeping its seconds (02:00:58 -> 02:30:58 in
    Australia/Lord_Howe); our rule fires at the first instant after the jump (02:30:00).
  * nth-weekday-intersect: with a restricted day-of-month and `n#k`/`nL` in day-of-week,
    croniter intersects the fields (crontab(5) rule: either may match); left out only
    where that changes the answer, i.e. where croniter's result differs from the union of
    croniter's own results for the two fields alone.
Each check compares croniter's answer with what the rule implies, using croniter itself
(naive local-time matching) and zoneinfo; nothing here uses our implementation.
croniter runs with implement_cron_bug=True, which is its switch for the crontab(5) day rule
(a day field starting with `*`, e.g. `*/10`, counts as unrestricted: both fields must
match); without it croniter reads `*/n` as restricted. Its seconds field is put first
(second_at_beginning=True) and `nL` is written `Ln`, croniter's spelling.
Expressions croniter rejects or cannot evaluate are skipped before any case is made.
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from croniter import CroniterError, croniter

SEED = 20260329
EXPRESSIONS = 1100
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
COUNT = 5
FIRST_YEAR, LAST_YEAR = 2000, 2045
HERE = os.path.dirname(os.path.abspath(__file__))

rng = random.Random(SEED)

# ---------------------------------------------------------------- random expressions

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
BOUNDS = {"second": (0, 59), "minute": (0, 59), "hour": (0, 23), "dom": (1, 31),
          "month": (1, 12), "dow": (0, 7)}


def any_case(name):
    return "".join(c.upper() if rng.random() < 0.5 else c for c in name)


def value_text(kind, value):
    if kind == "month" and rng.random() < 0.3:
        return any_case(MONTHS[value - 1])
    if kind == "dow" and value < 7 and rng.random() < 0.3:
        return any_case(WEEKDAYS[value])
    return str(value)


def item(kind):
    low, high = BOUNDS[kind]
    span = high - low + 1 if kind != "dow" else 7
    shape = rng.random()
    if shape < 0.45:
        if kind == "hour" and rng.random() < 0.5:
            return str(rng.randint(0, 4))  # the hours DST changes happen in
        return value_text(kind, rng.randint(low, high))
    if shape < 0.65:
        a = rng.randint(low, high - 1)
        b = rng.randint(a + 1, min(high, a + rng.choice([2, 5, 12, 40])))
        return f"{value_text(kind, a)}-{value_text(kind, b)}"
    if shape < 0.8:
        a = rng.randint(low, high - 1)
        b = rng.randint(a + 1, high)
        return f"{value_text(kind, a)}-{value_text(kind, b)}/{rng.randint(1, span)}"
    if shape < 0.92:
        return f"*/{rng.randint(1, span)}"
    top = high if kind != "dow" else 6
    return f"{value_text(kind, rng.randint(low, top))}/{rng.randint(1, span)}"


def field(kind):
    r = rng.random()
    star_weight = {"second": 0.3, "minute": 0.15, "hour": 0.35, "dom": 0.55, "month": 0.6, "dow": 0.6}[kind]
    if r < star_weight:
        return "*"
    if kind == "dom" and rng.random() < 0.12:
        return rng.choice(["L", "?", f"L,{rng.randint(1, 28)}", f"{rng.randint(1, 28)},L"])
    if kind == "dow" and rng.random() < 0.25:
        w = rng.randint(0, 7)
        return rng.choice([f"{w}L", f"{w}#{rng.randint(1, 5)}", "?",
                           f"{w}#{rng.randint(1, 4)},{(w + 3) % 7}#{rng.randint(1, 4)}"])
    return ",".join(item(kind) for _ in range(rng.choice([1, 1, 1, 2, 3])))


def expression():
    if rng.random() < 0.03:
        return rng.choice(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
                           "@Daily", "@HOURLY"])
    fields = [field(k) for k in ("minute", "hour", "dom", "month", "dow")]
    if rng.random() < 0.25:
        fields.insert(0, field("second"))
    return " ".join(fields)


def croniter_spelling(expr):
    """Our `nL` in day-of-week is croniter's `Ln`."""
    parts = expr.split(" ")
    if len(parts) >= 5:
        dow = parts[-1].split(",")
        parts[-1] = ",".join("L" + x[:-1] if len(x) > 1 and x[-1] in "lL" else x for x in dow)
    return " ".join(parts)


def fields_of(expr):
    macros = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
              "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
    parts = macros.get(expr.lower(), expr).split(" ")
    return parts[-5:]  # minute hour dom month dow


# ---------------------------------------------------------------- zones and starts

def transitions(zone_name):
    """(instant, offset before, offset after) for each change in FIRST_YEAR..LAST_YEAR."""
    zone = ZoneInfo(zone_name)
    t = int(datetime(FIRST_YEAR, 1, 1, tzinfo=timezone.utc).timestamp())
    end = int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=timezone.utc).timestamp())
    off = lambda s: datetime.fromtimestamp(s, zone).utcoffset().total_seconds()
    found = []
    while t < end:
        nxt = t + 1800
        if off(nxt) != off(t):
            lo, hi = t, nxt
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if off(mid) == off(t) else (lo, mid)
            found.append((hi, int(off(t)), int(off(hi))))
        t = nxt
    return found


def starts(zone_name, changes):
    lo = int(datetime(FIRST_YEAR, 1, 1, tzinfo=timezone.utc).timestamp())
    hi = int(datetime(LAST_YEAR, 12, 1, tzinfo=timezone.utc).timestamp())
    result = [rng.randint(lo, hi)]
    forward = [c for c in changes if c[2] > c[1]]
    backward = [c for c in changes if c[2] < c[1]]
    for group in (forward, backward):
        if group:
            instant = rng.choice(group)[0]
            result.append(instant - rng.choice([0, 1, rng.randint(0, 3 * 3600), rng.randint(0, 36 * 3600)]))
        else:
            result.append(rng.randint(lo, hi))
    return result


# ---------------------------------------------------------------- croniter and departures

def run(expr, zone_name, start):
    zone = ZoneInfo(zone_name)
    it = croniter(croniter_spelling(expr), datetime.fromtimestamp(start, zone),
                  implement_cron_bug=True, second_at_beginning=True)
    return [it.get_next(datetime) for _ in range(COUNT)], it


def is_second_occurrence(moment):
    wall = moment.replace(tzinfo=None)
    first = wall.replace(fold=0, tzinfo=moment.tzinfo)
    second = wall.replace(fold=1, tzinfo=moment.tzinfo)
    if first.utcoffset() == second.utcoffset():
        return False
    later = max(first.timestamp(), second.timestamp())
    return moment.timestamp() == later and first.timestamp() != second.timestamp()


def first_wall_match(expr, low, high):
    """Whether some local wall time in [low, high) (naive datetimes) matches the expression."""
    it = croniter(croniter_spelling(expr), low - timedelta(seconds=1),
                  implement_cron_bug=True, second_at_beginning=True)
    return it.get_next(datetime) < high


def naive(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def missed_gap(expr, previous, now, changes):
    """A forward change strictly between two answers where a skipped local time matches:
    the rule fires at the change itself, so croniter has missed it."""
    for instant, before, after in changes:
        if after > before and previous < instant < now:
            if first_wall_match(expr, naive(instant + before), naive(instant + after)):
                return True
    return False


def missed_repeat(expr, previous, now, changes):
    """A second occurrence of a matching local time strictly between two answers."""
    for instant, before, after in changes:
        if after < before:
            low, high = max(previous + 1, instant), min(now, instant + before - after)
            if low < high and first_wall_match(expr, naive(low + after), naive(high + after)):
                return True
    return False


def replace_field(expr, index, text):
    parts = expr.split(" ")
    parts[index] = text
    return " ".join(parts)


def union_answer(expr, zone_name, start):
    """What the crontab(5) OR rule gives, from croniter runs of each day field alone."""
    by_day = run(replace_field(expr, -1, "*"), zone_name, start)[0]
    by_weekday = run(replace_field(expr, -3, "*"), zone_name, start)[0]
    return sorted({int(t.timestamp()) for t in by_day + by_weekday})[:COUNT]


def departure(expr, zone_name, start, times, it, changes):
    minute, hour, dom, month, dow = fields_of(expr)
    stamps = [int(t.timestamp()) for t in times]
    if not hour.startswith("*") and any(is_second_occurrence(t) for t in times):
        return "fixed-hour-repeat"
    for previous, now in zip([start] + stamps, stamps):
        if missed_gap(expr, previous, now, changes):
            if "*" in it.expanded[1]:
                return "star-hour-gap-skip"
            if len(expr.split(" ")) == 6:
                return "gap-shift-keeps-seconds"
            raise AssertionError(f"unexplained missed gap: {expr} {zone_name} {start}")
        if hour.startswith("*") and missed_repeat(expr, previous, now, changes):
            return "star-hour-repeat-skip"
    if not (dom.startswith("*") or dom.startswith("?")) and ("#" in dow or "l" in dow.lower()):
        if union_answer(expr, zone_name, start) != stamps:
            return "nth-weekday-intersect"
    return None


def main():
    changes = {z: transitions(z) for z in ZONES}
    lines, excluded, skipped = [], [], 0
    seen = set()
    while len(lines) < EXPRESSIONS:
        expr = expression()
        if expr in seen:
            continue
        seen.add(expr)
        cases, dropped = [], []
        try:
            for zone_index, zone_name in enumerate(ZONES):
                for start in starts(zone_name, changes[zone_name]):
                    times, it = run(expr, zone_name, start)
                    stamps = [int(t.timestamp()) for t in times]
                    reason = departure(expr, zone_name, start, times, it, changes[zone_name])
                    if reason:
                        dropped.append({"expression": expr, "zone": zone_name, "start": start,
                                        "croniter": stamps, "reason": reason})
                    else:
                        deltas = [b - a for a, b in zip([start] + stamps, stamps)]
                        cases.append([zone_index, start] + deltas)
        except (CroniterError, ValueError, KeyError, IndexError, TypeError, OverflowError):
            skipped += 1
            continue
        lines.append([expr, cases])
        excluded.extend(dropped)

    reasons = {}
    for e in excluded:
        reasons[e["reason"]] = reasons.get(e["reason"], 0) + 1
    kept = sum(len(c) for _, c in lines)
    header = {"generator": "generate_croniter_fixture.py", "croniter": "7.0.0", "seed": SEED,
              "zones": ZONES, "count": COUNT, "expressions": len(lines), "cases": kept,
              "excluded": reasons, "skippedExpressions": skipped,
              "format": "[expression, [[zone index, start, d1..d5]]], deltas in seconds"}
    with open(os.path.join(HERE, "croniter-next.jsonl"), "w") as out:
        out.write(json.dumps(header, separators=(",", ":")) + "\n")
        for line in lines:
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
    with open(os.path.join(HERE, "croniter-excluded.jsonl"), "w") as out:
        out.write(json.dumps({"reasons": reasons, "total": len(excluded)}, separators=(",", ":")) + "\n")
        for e in excluded:
            out.write(json.dumps(e, separators=(",", ":")) + "\n")
    print(json.dumps(header), file=sys.stderr)


if __name__ == "__main__":
    main()
