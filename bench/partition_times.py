#!/usr/bin/env python3
"""Reads the events of partitioned runs for bench/partitions.sh and prints their figures.

  partition_times.py steps RUN_DIR ARRIVALS        one line per partition step execution of a run (TSV, seconds)
  partition_times.py check OUTPUT ROWS [REFERENCE] the output has one ok row per record, in order, answered at the first
                                                   attempt (and the same answers as REFERENCE): prints "exact" or why not
  partition_times.py values EVENTS EXPR FILTER     EXPR in ms for each line of a steps table where FILTER holds; both
                                                   Python expressions over its columns (nan where an event is missing)
  partition_times.py median NUMBERS...             the median

RUN_DIR holds steps.tsv (the run's partition step executions from the job repository: id, name, create_time,
start_time, end_time as epoch seconds, status), manager.log (the manager's promptbatch.log) and w*.log (each
worker's promptbatch.log). ARRIVALS is bench/arrivals.py's log ("EPOCH_SECONDS RECORD_NUMBER" per request).
"""
import datetime
import json
import math
import re
import statistics
import sys
from pathlib import Path

STARTED = re.compile(r"^(\S+ \S+) .*Partition (\S+) \(execution (\d+)\) started on .*\(pid (\d+)\), records \[(\d+), (\d+)\)")
ENDED = re.compile(r"^(\S+ \S+) .*Partition (\S+) \(execution (\d+)\) ended (\w+)")


def stamp(text):
    """A log line's time (UTC, as the JVMs here log it) in epoch seconds."""
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()


def log_lines(path):
    return path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []


def steps(run_dir, arrivals_file):
    run = Path(run_dir)
    rows = []
    for line in log_lines(run / "steps.tsv"):
        sid, name, create, start, end, status = line.split("\t")
        rows.append({"id": int(sid), "name": name, "create": float(create), "start": float(start or "nan"),
                     "end": float(end or "nan"), "status": status})
    claims, ends = {}, {}
    for log in sorted(p for p in run.glob("*.log") if p.name != "manager.log"):
        for line in log_lines(log):
            m = STARTED.match(line)
            if m:
                claims[int(m.group(3))] = (stamp(m.group(1)), log.stem, int(m.group(5)), int(m.group(6)))
            m = ENDED.match(line)
            if m:
                ends[int(m.group(3))] = (stamp(m.group(1)), log.stem)
    sent = [stamp(" ".join(l.split()[:2])) for l in log_lines(run / "manager.log") if "partition requests" in l]
    arrivals = []
    for line in log_lines(Path(arrivals_file)):
        t, n = line.split()
        arrivals.append((float(t), int(n)))
    arrivals.sort()
    print("id\tname\tworker\tcreate\tsent\tclaimed\tstart\tfirst_prompt\tprevious_end_same_worker\tstatus")
    for r in sorted(rows, key=lambda r: r["id"]):
        claim = claims.get(r["id"])
        worker, first, previous = "", float("nan"), float("nan")
        if claim:
            worker = claim[1]
            lo, hi = claim[2], claim[3]
            # record numbers are 1-based in the prompts, ranges [from, to) 0-based
            first = next((t for t, n in arrivals if t >= r["create"] and lo < n <= hi), float("nan"))
            before = [e[0] for sid, e in ends.items() if e[1] == worker and sid != r["id"] and e[0] <= claim[0]]
            previous = max(before) if before else float("nan")
        sent_at = next((s for s in sent if s >= r["create"] - 0.001), float("nan"))
        print("\t".join([str(r["id"]), r["name"], worker, f"{r['create']:.3f}", f"{sent_at:.3f}",
                         f"{claim[0]:.3f}" if claim else "nan", f"{r['start']:.3f}", f"{first:.3f}",
                         f"{previous:.3f}", r["status"]]))


def check(output, rows, reference=None):
    lines = Path(output).read_text(encoding="utf-8").splitlines()
    if len(lines) != rows:
        return f"{len(lines)} rows for {rows} records"
    ref = Path(reference).read_text(encoding="utf-8").splitlines() if reference else None
    for i, line in enumerate(lines):
        row = json.loads(line)
        if row["id"] != f"p{i + 1}":
            return f"row {i + 1} has id {row['id']}"
        if row["status"] != "ok":
            return f"row {i + 1} ({row['id']}) is {row['status']}: {row.get('error')}"
        if int(row.get("attempts", 1)) != 1:
            return f"row {i + 1} ({row['id']}) took {row['attempts']} attempts"
        if ref is not None and json.loads(ref[i])["answer"] != row["answer"]:
            return f"row {i + 1} ({row['id']}) answered otherwise than in {reference}"
    return "exact"


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "steps":
        steps(sys.argv[2], sys.argv[3])
    elif what == "check":
        print(check(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None))
    elif what == "values":
        lines = Path(sys.argv[2]).read_text(encoding="utf-8").splitlines()
        names = lines[0].split("\t")
        for line in lines[1:]:
            row = {k: (v if k in ("name", "worker", "status") else float(v)) for k, v in zip(names, line.split("\t"))}
            row["nan"] = float("nan")
            if eval(sys.argv[4], {"math": math}, row):
                value = eval(sys.argv[3], {"math": math}, row)
                print("nan" if math.isnan(value) else f"{1000 * value:.0f}")
    elif what == "median":
        values = [float(v) for v in sys.argv[2:] if v not in ("", "nan")]
        print(f"{statistics.median(values):.3f}" if values else "nan")
