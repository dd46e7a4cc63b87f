"""raycl's instruction-count guard: callgrind counts (Ir) of the hot paths, checked against a
committed baseline. Instruction counts do not depend on the machine's load, so the check is
stable on a shared machine where timings are not.

  python3 bench/instruction_counts.py measure --build build          print the counts (JSON)
  python3 bench/instruction_counts.py check   --build build          fail when a count grew > 10%
  python3 bench/instruction_counts.py update  --build build          rewrite the baseline

Each count is the difference of two runs of different lengths divided by the difference in work,
so process start-up, connecting and warm-up cancel out:
  get_job          one client::get_job (concurrency 1, keep-alive) against raycl_bench_server
  websocket_lines  1,000 lines of a WebSocket tail (frames of 10 lines), consumed with next()
  stream_lines     1,000 lines of an HTTP-stream tail (chunks of 10 lines), consumed with next()
  *_lines_batch    the same, consumed with log_stream::next_batch()
  decode_jobs      decoding a `GET /api/jobs/` answer of 1,000 jobs into job_details
The server (bench/bench_server.cpp, the test suite's fake dashboard) runs natively in its own
process; only the client runs under callgrind. Needs valgrind and the targets raycl_bench and
raycl_bench_server (scripts/perf-guard.sh builds exactly those and runs this).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(ROOT, "bench", "instruction-baseline.json")
TOLERANCE = 0.10
FIXTURES = os.path.join(ROOT, "test", "fixtures", "ray")


def callgrind_ir(cmd):
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={d}/cg.out"] + cmd,
                           capture_output=True, text=True, timeout=600)
        m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
        if p.returncode != 0 or not m:
            raise RuntimeError(f"callgrind of {' '.join(cmd)} failed (exit {p.returncode}):\n"
                               + p.stdout[-500:] + p.stderr[-1500:])
        return int(m.group(1))


def job_list(count):
    """A `GET /api/jobs/` body of `count` jobs: the recorded Ray 2.60 jobs (FAILED and SUCCEEDED
    alternating, ids varied), as bench/harness.py makes its 10,000."""
    with open(os.path.join(FIXTURES, "jobs_get_failed.json")) as f:
        failed = json.load(f)
    with open(os.path.join(FIXTURES, "jobs_get_succeeded.json")) as f:
        succeeded = json.load(f)
    jobs = []
    for i in range(count):
        row = dict(succeeded if i % 2 else failed)
        row["submission_id"] = f"raysubmit_{1000000 + i}"
        row["job_id"] = f"{i:08x}"
        jobs.append(row)
    return json.dumps(jobs)


class Server:
    def __init__(self, build):
        self.proc = subprocess.Popen([os.path.join(build, "bench", "raycl_bench_server")], stdout=subprocess.PIPE,
                                     text=True)
        self.url = json.loads(self.proc.stdout.readline())["address"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def measure(build, consumers=(False, True)):
    bench = os.path.join(build, "bench", "raycl_bench")
    server = Server(build)
    counts = {}
    try:
        def get_job(n):
            return callgrind_ir([bench, "get-job", "--url", server.url, "--id", "bench_1", "--concurrency", "1",
                                 "--count", str(n), "--warmup-count", "2"])

        small, large = 100, 600
        counts["get_job"] = (get_job(large) - get_job(small)) / (large - small)

        def tail(lines, protocol, batch):
            return callgrind_ir([bench, "tail", "--url", server.url, "--id", f"bench_{lines}", "--protocol", protocol]
                                + (["--batch"] if batch else []))

        # Under callgrind the client is far slower than the native server, so every socket read
        # finds a full buffer: the counts do not depend on timing.
        small, large = 1000, 11000
        for protocol in ("websocket", "stream"):
            for batch in consumers:
                name = f"{protocol}_lines" + ("_batch" if batch else "")
                counts[name] = (tail(large, protocol, batch) - tail(small, protocol, batch)) / ((large - small) / 1000)

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "jobs_1000.json")
            with open(path, "w") as f:
                f.write(job_list(1000))

            def decode(repetitions):
                return callgrind_ir([bench, "decode", "--kind", "jobs", "--file", path, "--repetitions",
                                     str(repetitions)])

            counts["decode_jobs"] = (decode(3) - decode(1)) / 2
    finally:
        server.stop()
    return {k: round(v) for k, v in counts.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["measure", "check", "update"])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()
    counts = measure(os.path.abspath(args.build))
    if args.command == "measure":
        print(json.dumps(counts, indent=1))
        return 0
    if args.command == "update":
        with open(args.baseline, "w") as f:
            json.dump({"tolerance": TOLERANCE, "counts": counts,
                       "note": "callgrind Ir per unit (see bench/instruction_counts.py); RelWithDebInfo, g++ 12, "
                               "Boost 1.81. Update with `scripts/perf-guard.sh update` after an "
                               "intended change, and say why in the commit."}, f, indent=1)
            f.write("\n")
        print(json.dumps(counts, indent=1))
        return 0
    with open(args.baseline) as f:
        baseline = json.load(f)
    tolerance = baseline.get("tolerance", TOLERANCE)
    failed = False
    print(f"{'what':<22} {'baseline':>12} {'now':>12} {'change':>8}")
    for name, base in baseline["counts"].items():
        now = counts.get(name)
        change = now / base - 1 if now is not None and base else None
        bad = now is None or change > tolerance
        failed = failed or bad
        print(f"{name:<22} {base:>12,} {now if now is None else format(now, ','):>12} "
              f"{'n/a' if change is None else format(change, '+.1%'):>8}{'  GREW' if bad else ''}")
    if failed:
        print(f"raycl: instruction counts grew more than {tolerance:.0%} over {args.baseline}", file=sys.stderr)
        return 1
    print(f"raycl: instruction counts within {tolerance:.0%} of the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
