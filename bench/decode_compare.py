"""Interleaved rounds of `raycl_bench decode` with the text decoders (what the client runs),
with the parse + DOM decoders (`--decoder dom`), and Ray's decode peer (`peers.py decode
--client ray`), on the harness's bodies (10,000 jobs, 10,000 tasks); the order rotates each
round. Prints one JSON object: per kind and decoder the median over rounds of each run's
median ms, the largest peak extra RSS, and the median of the rounds' own Ray / raycl ratios.

  bench/decode_compare.py --build build [--rounds 5] [--repetitions 3]

Run it with the Ray venv's python (bash scripts/setup-ray.sh prints the venv). See
bench/README.md, "2. decode".
"""

import argparse
import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (make_data, run_json, PY, PEERS, ROOT)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(harness.ROOT, "build"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    bench = os.path.join(args.build, "bench", "raycl_bench")
    reps = str(args.repetitions)
    with tempfile.TemporaryDirectory() as workdir:
        files = harness.make_data(workdir)
        clients = {
            "text": lambda k: harness.run_json([bench, "decode", "--kind", k, "--file", files[k], "--repetitions",
                                                reps, "--decoder", "text"]),
            "dom": lambda k: harness.run_json([bench, "decode", "--kind", k, "--file", files[k], "--repetitions",
                                               reps, "--decoder", "dom"]),
            "ray": lambda k: harness.run_json([harness.PY, harness.PEERS, "decode", "--client", "ray", "--kind", k,
                                               "--file", files[k], "--repetitions", reps]),
        }
        names = list(clients)
        runs = {kind: {name: [] for name in names} for kind in ("jobs", "tasks")}
        for r in range(args.rounds):
            for kind in runs:
                for name in names[r % len(names):] + names[:r % len(names)]:
                    runs[kind][name].append(clients[name](kind))
    report = {"rounds": args.rounds, "repetitions": args.repetitions}
    for kind, by_name in runs.items():
        out = {}
        for name, results in by_name.items():
            out[name] = {"median_ms": statistics.median(x["median_ms"] for x in results),
                         "peak_extra_kib": max(x["peak_extra_kib"] for x in results)}
        for name in ("text", "dom"):
            ratios = [ray["median_ms"] / mine["median_ms"] for ray, mine in zip(by_name["ray"], by_name[name])]
            out[name]["ray_ratio_median"] = statistics.median(ratios)
            out[name]["ray_ratios"] = [round(x, 2) for x in ratios]
        report[kind] = out
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
