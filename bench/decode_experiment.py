"""Runs bench/decode_experiment.cpp (raycl_bench_decode_experiment) against Ray's decode peer on
the harness's bodies (10,000 jobs, 10,000 tasks), interleaved, and prints one JSON object:
per kind and variant the median over rounds of each round's median, the ratio Ray_ms / variant_ms,
callgrind instructions per list, and peak RSS above a run that decodes nothing.

  bench/decode_experiment.py --build build [--rounds 5] [--repetitions 7] [--no-callgrind] [--no-rss]
                             [--peer-callgrind]   (Ray's and json.loads' instructions too: ~10 min more)

Run it with the Ray venv's python (bash scripts/setup-ray.sh prints the venv), as bench/run.sh
runs the harness. See bench/README.md, "2. decode".
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (make_data, run_json, rotate, callgrind_ir, PY, PEERS)

VARIANTS = ["tokenize", "parse", "arena", "current", "arena_current", "text"]
RSS_VARIANTS = ["none", "parse", "current", "text"]


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def experiment(binary, kind, path, repetitions, variants):
    out = subprocess.run([binary, kind, path, str(repetitions), ",".join(variants)], capture_output=True, text=True,
                         check=True).stdout
    return {r["variant"]: r for r in map(json.loads, out.strip().splitlines())}


def peer(client, kind, path):
    return harness.run_json([harness.PY, harness.PEERS, "decode", "--client", client, "--kind", kind, "--file", path,
                             "--repetitions", "3"])


def max_rss_kib(cmd):
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, check=True)
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(harness.ROOT, "build"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--no-rss", action="store_true")
    parser.add_argument("--peer-callgrind", action="store_true")
    args = parser.parse_args()
    binary = os.path.join(args.build, "bench", "raycl_bench_decode_experiment")
    report = {"load_average_start": load_average(), "rounds": args.rounds, "repetitions": args.repetitions}
    with tempfile.TemporaryDirectory() as workdir:
        files = harness.make_data(workdir)
        subprocess.run([binary, "check", files["jobs"], files["tasks"]], check=True, stdout=sys.stderr)
        for kind in ("jobs", "tasks"):
            rounds = []
            steps = [("ray", lambda: peer("ray", kind, files[kind])),
                     ("json", lambda: peer("json", kind, files[kind])),
                     ("raycl", lambda: experiment(binary, kind, files[kind], args.repetitions, VARIANTS))]
            for r in range(args.rounds):
                this = {"load_average": load_average()[0]}
                for name, step in harness.rotate(steps, r):
                    this[name] = step()
                rounds.append(this)
                harness.log(f"decode experiment {kind}: round {r + 1}/{args.rounds} done")
            ray = statistics.median(x["ray"]["median_ms"] for x in rounds)
            out = {"body_bytes": rounds[0]["raycl"]["current"]["body_bytes"],
                   "dom_bytes": rounds[0]["raycl"]["arena"]["dom_bytes"],
                   "load_average_per_round": [x["load_average"] for x in rounds],
                   "ray_ms": ray, "ray_ms_per_round": [x["ray"]["median_ms"] for x in rounds],
                   "json_loads_ms": statistics.median(x["json"]["median_ms"] for x in rounds),
                   "ray_peak_extra_kib": max(x["ray"]["peak_extra_kib"] for x in rounds), "variants": {}}
            for v in VARIANTS:
                row = {}
                for window in ("result", "total"):
                    per_round = [x["raycl"][v]["median_ms_" + window] for x in rounds]
                    row["ms_" + window] = statistics.median(per_round)
                    row["ms_%s_per_round" % window] = per_round
                    # Ray's median over the variant's, and the median of the rounds' own ratios (a
                    # round's Ray and raycl runs are seconds apart, under about the same load).
                    row["ray_over_" + window] = ray / row["ms_" + window]
                    row["ray_over_%s_round_median" % window] = statistics.median(
                        x["ray"]["median_ms"] / x["raycl"][v]["median_ms_" + window] for x in rounds)
                out["variants"][v] = row
            if not args.no_callgrind:  # instructions per list: (3 repetitions - 1) / 2
                for v in VARIANTS:
                    ir = [harness.callgrind_ir([binary, kind, files[kind], str(n), v]) for n in (1, 3)]
                    out["variants"][v]["instructions"] = (ir[1] - ir[0]) // 2
            if args.peer_callgrind:  # the Python peers the same way (their imports cancel out)
                for client in ("ray", "json"):
                    ir = [harness.callgrind_ir([harness.PY, harness.PEERS, "decode", "--client", client, "--kind", kind,
                                                "--file", files[kind], "--repetitions", str(n)]) for n in (1, 3)]
                    out[client + "_instructions"] = (ir[1] - ir[0]) // 2
            if not args.no_rss:  # one repetition per process; KiB above the run that decodes nothing
                rss = {v: max_rss_kib([binary, kind, files[kind], "1", v]) for v in RSS_VARIANTS}
                out["max_rss_kib_none"] = rss["none"]
                for v in RSS_VARIANTS[1:]:
                    out["variants"][v]["peak_extra_kib"] = rss[v] - rss["none"]
            report[kind] = out
    report["load_average_end"] = load_average()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
