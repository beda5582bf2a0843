"""Soak test of `tradelens serve`: does it keep cycling, stay readable and keep its memory?

    .venv/bin/python benchmarks/soak.py                 # 20 minutes, a cycle a minute
    .venv/bin/python benchmarks/soak.py --minutes 3     # a quick proof

Three processes besides this one:
  service  `tradelens serve` on a small generated dataset (interval_min = --interval-min)
  dropper  drops the dataset into the inbox folders chunk by chunk over the first 60% of the
           run (atomically: a hidden temp name, then a rename)
  reader   runs `tradelens sql` queries in a loop, as an analyst or a dashboard would, while
           the service writes between them
Prints cycles run, queries answered and failed, the service's RSS at start and end.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
QUERIES = (
    "select count(*) from raw.decisions",
    "select outcome, count(*), sum(pnl) from latest.counterfactuals group by 1",
    "select * from latest.timing_grid where population = 'all' order by sharpe desc limit 3",
    "select kind, name, after from latest.learned_state order by kind, name",
    "select run_id, status, published from runs order by run_id desc limit 3",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="how long the service runs")
    parser.add_argument("--interval-min", type=float, default=1.0, help="the service's interval")
    parser.add_argument("--chunks", type=int, default=10, help="inbox drops per input kind")
    parser.add_argument("--symbols", type=int, default=3)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--decisions", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp one)")
    parser.add_argument("--role", choices=("dropper", "reader"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "dropper":
        run_dropper(args)
    elif args.role == "reader":
        run_reader(args)
    else:
        run_soak(args)


# --------------------------------------------------------------------------- orchestration


def run_soak(args: argparse.Namespace) -> None:
    work = args.dir or Path(tempfile.mkdtemp(prefix="tradelens-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    args.dir = work
    print(f"work folder: {work}", file=sys.stderr)
    make_chunks(args)
    port = _free_port()
    (work / "soak.toml").write_text(
        f"interval_min = {args.interval_min}\n"
        "score_threshold = 0.5\n"
        'inbox_prices = "inbox/prices"\ninbox_trades = "inbox/trades"\n'
        'inbox_blocked = "inbox/blocked"\nstate_out = "state/learned_state.json"\n'
    )
    env = {**os.environ, "TRADELENS_WAREHOUSE": str(work / "tradelens.duckdb")}
    tradelens = [sys.executable, "-m", "analytics"]
    log = (work / "serve.log").open("w")
    service = subprocess.Popen(
        [*tradelens, "serve", "--config", "soak.toml", "--port", str(port), "--log-format", "json"],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    helpers = []
    try:
        first = _wait_for_health(url, lambda d: d["last_run_id"] is not None, timeout=300)
        rss_start = _rss_mb(service.pid)
        started = time.monotonic()
        deadline = started + args.minutes * 60
        for role in ("dropper", "reader"):
            helpers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--role",
                        role,
                        "--dir",
                        str(work),
                        "--minutes",
                        str(args.minutes),
                        "--chunks",
                        str(args.chunks),
                    ],
                    env=env,
                    cwd=work,
                )
            )
        rss_by_cycle = {first["last_run_id"]: round(rss_start, 1)}
        while time.monotonic() < deadline and service.poll() is None:
            time.sleep(2)
            run_id = _health(url).get("last_run_id")
            if run_id not in rss_by_cycle:  # sample memory once a cycle, right after it
                rss_by_cycle[run_id] = round(_rss_mb(service.pid), 1)
        for helper in helpers:
            helper.wait(timeout=120)
        # stop between cycles, so the figures count whole cycles (a stop mid-cycle is clean too,
        # but leaves an abandoned run in the log)
        last = _wait_for_health(url, lambda d: not d["cycle_in_progress"], timeout=300)
        metrics = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
        page_kb = len(urllib.request.urlopen(url + "/", timeout=5).read()) / 1024
        rss_end = _rss_mb(service.pid)
    finally:
        service.send_signal(signal.SIGTERM)
        exit_code = service.wait(timeout=120)
        log.close()
        for helper in helpers:
            if helper.poll() is None:
                helper.kill()
    reader = json.loads((work / "reader.json").read_text())
    dropper = json.loads((work / "dropper.json").read_text())
    runs = _runs_by_status(env, work)
    durations = _histogram(metrics, "tradelens_cycle_duration_seconds")
    health_keys = ("healthy", "success_count", "error_count", "last_run_age_sec", "cycle_errors")
    figures = {
        "minutes": args.minutes,
        "interval_min": args.interval_min,
        "cycles_run": sum(runs.values()),
        "runs_by_status": runs,
        "cycle_seconds_mean": round(durations["sum"] / max(durations["count"], 1), 2),
        "health_at_end": {k: last.get(k) for k in health_keys},
        "files_dropped": dropper["files"],
        "inbox_files": last.get("inbox", {}).get("files"),
        "queries_answered": reader["answered"],
        "queries_failed": reader["failed"],
        "query_seconds_p50": reader["p50_sec"],
        "query_seconds_max": reader["max_sec"],
        "first_query_failures": reader["failures"][:3],
        "service_rss_mb_start": round(rss_start, 1),
        "service_rss_mb_end": round(rss_end, 1),
        "service_rss_mb_after_each_cycle": list(rss_by_cycle.values()),
        "dashboard_page_kb": round(page_kb),
        "service_exit_code": exit_code,
        "log": str(work / "serve.log"),
    }
    print(json.dumps(figures, indent=2))


def make_chunks(args: argparse.Namespace) -> None:
    """The sample dataset cut into `chunks` parts per kind, in time order, under chunks/."""
    from analytics.sample_data import write_sample_data

    work = args.dir
    files = write_sample_data(
        work / "generated",
        seed=args.seed,
        symbols=args.symbols,
        days=args.days,
        decisions=args.decisions,
    )
    out = work / "chunks"
    shutil.rmtree(out, ignore_errors=True)
    for kind in ("prices", "trades", "blocked"):
        (out / kind).mkdir(parents=True)
    bars = pl.read_parquet(files.prices).sort("ts")
    size = -(-bars.height // args.chunks)
    for i in range(args.chunks):
        bars.slice(i * size, size).write_parquet(out / "prices" / f"bars-{i:03d}.parquet")
    for kind, path in (("trades", files.trades), ("blocked", files.blocked)):
        lines = path.read_text().splitlines(keepends=True)
        size = -(-len(lines) // args.chunks)
        for i in range(args.chunks):
            (out / kind / f"{kind}-{i:03d}.jsonl").write_text(
                "".join(lines[i * size : (i + 1) * size])
            )


# --------------------------------------------------------------------------- the two helpers


def run_dropper(args: argparse.Namespace) -> None:
    """Chunk i of every kind lands at i/chunks of the first 60% of the run, so the last cycles
    see the whole dataset."""
    work = args.dir
    span = args.minutes * 60 * 0.6
    started = time.monotonic()
    dropped = 0
    for i in range(args.chunks):
        time.sleep(max(0.0, started + span * i / args.chunks - time.monotonic()))
        for kind in ("prices", "trades", "blocked"):
            for chunk in sorted((work / "chunks" / kind).glob(f"*-{i:03d}.*")):
                inbox = work / "inbox" / kind
                temp = inbox / f".{chunk.name}.tmp"
                shutil.copy(chunk, temp)
                os.replace(temp, inbox / chunk.name)  # atomic: never seen half-written
                dropped += 1
    (work / "dropper.json").write_text(json.dumps({"files": dropped}))


def run_reader(args: argparse.Namespace) -> None:
    """`tradelens sql` in a loop until the run ends; every query a fresh process, as a user's."""
    work = args.dir
    deadline = time.monotonic() + args.minutes * 60 - 5
    answered, failed, seconds, failures = 0, 0, [], []
    i = 0
    while time.monotonic() < deadline:
        query = QUERIES[i % len(QUERIES)]
        i += 1
        t0 = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "analytics", "sql", query, "--format", "csv"],
            capture_output=True,
            text=True,
            cwd=work,
            check=False,
        )
        seconds.append(time.monotonic() - t0)
        if result.returncode == 0:
            answered += 1
        else:
            failed += 1
            failures.append(result.stderr.strip().splitlines()[-1:] or ["(no message)"])
        time.sleep(0.5)
    seconds.sort()
    (work / "reader.json").write_text(
        json.dumps(
            {
                "answered": answered,
                "failed": failed,
                "p50_sec": round(seconds[len(seconds) // 2], 3) if seconds else None,
                "max_sec": round(seconds[-1], 3) if seconds else None,
                "failures": failures,
            }
        )
    )


# --------------------------------------------------------------------------- small helpers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(url: str) -> dict:
    try:
        with urllib.request.urlopen(url + "/health", timeout=5) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


def _wait_for_health(url: str, predicate, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            document = _health(url)
            if predicate(document):
                return document
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"the service did not complete a cycle within {timeout}s")


def _histogram(exposition: str, name: str) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(exposition):
        if family.name == name:
            return {
                s.name.removeprefix(f"{name}_"): s.value
                for s in family.samples
                if s.name.endswith(("_sum", "_count"))
            }
    return {"sum": 0.0, "count": 0.0}


def _rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _runs_by_status(env: dict, work: Path) -> dict[str, int]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics",
            "sql",
            "select status, count(*) as n from runs where trigger = 'serve' group by 1",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        check=True,
    )
    return {r["status"]: r["n"] for r in json.loads(result.stdout)}


if __name__ == "__main__":
    main()
