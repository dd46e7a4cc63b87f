#!/usr/bin/env python3
"""Experiments beside the harness (not its scenarios, not in bench/run.sh): where the gaps of the
missed goals come from. Each runs its clients interleaved (every round runs each client once, the
order rotating; medians over the rounds), on the harness's own servers and payloads, and prints
one JSON object with the medians and the ratios.

  bench/experiments.py get-job --build build [--rounds 5] [--duration 3]
      nginx with the harness's get_job body: wrk, raycl's get_job, and `raycl_bench raw-get-job`
      (Beast alone, by coroutine, one keep-alive connection per worker; `-decode`: with raycl's
      JSON parse and decode of the answer), at concurrency 1 and 64; ratios to wrk.
  bench/experiments.py tail --build build [--rounds 5] [--lines 1000000]
      bench_server with the harness's generated log, WebSocket and HTTP stream: raycl's tail
      (next() and next_batch()), the harness's synchronous raw reader, `raw-tail --async`
      (the same reads by coroutine; `-lines`: also a std::string per line) and, on the
      WebSocket, Ray's tail_job_logs split into lines; ratios to the raw reader.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def medians_of(results):
    return {name: {m: (r["summary"][m] or {}).get("median") for m in r["summary"]} | {"errors": r["errors"]}
            for name, r in results.items()}


def with_ratios(medians, reference, metric):
    base = medians[reference][metric]
    for record in medians.values():
        record[f"vs_{reference}"] = record[metric] / base if base and record[metric] else None
    return medians


def get_job(cfg, bench):
    workdir = tempfile.mkdtemp(prefix="raycl-experiment-")
    os.chmod(workdir, 0o755)  # nginx workers run as nobody
    files = harness.make_data(workdir)
    nginx = harness.Nginx(workdir, {"/api/version": files["version"], "/api/jobs/raysubmit_bench": files["job"]})
    out = {}
    try:
        for concurrency in (1, 64):
            clients = [("wrk", None), ("raycl", None), ("raw-beast", None), ("raw-beast-decode", None)]

            def run_one(name, _spec, c=concurrency):
                if name == "wrk":
                    return harness.run_wrk(nginx.url + "/api/jobs/raysubmit_bench", c, cfg.duration)
                command = [bench, "get-job" if name == "raycl" else "raw-get-job", "--url", nginx.url,
                           "--id", "raysubmit_bench", "--concurrency", str(c), "--duration", str(cfg.duration)]
                return harness.run_json(command + (["--decode"] if name == "raw-beast-decode" else []))

            results = harness.rounds_of(f"get_job experiment c={concurrency}", clients, cfg.rounds, run_one,
                                        ["requests_per_s", "cpu_us_per_request"])
            out[f"c{concurrency}"] = with_ratios(medians_of(results), "wrk", "requests_per_s")
    finally:
        nginx.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return out


def tail(cfg, bench):
    server = harness.TailServer(os.path.join(cfg.build, "bench", "raycl_bench_server"))
    job = f"bench_{cfg.lines}"
    out = {}
    try:
        for protocol in ("websocket", "stream"):
            expected = harness.run_json([bench, "raw-tail", "--url", server.url, "--id", job,
                                         "--protocol", protocol])["bytes"]
            clients = [("raycl", ["tail"]), ("raycl-batch", ["tail", "--batch"]), ("raw-beast", ["raw-tail"]),
                       ("raw-beast-async", ["raw-tail", "--async"]),
                       ("raw-beast-async-lines", ["raw-tail", "--async", "--lines"])]
            if protocol == "websocket":
                clients.append(("ray-lines", None))  # Ray's tail_job_logs, its chunks split into lines

            def run_one(name, spec, protocol=protocol):
                before = server.cpu()
                if spec is None:
                    record = harness.run_json([harness.PY, harness.PEERS, "tail", "--client", name, "--url", server.url,
                                               "--id", job])
                else:
                    record = harness.run_json([bench, spec[0], "--url", server.url, "--id", job,
                                               "--protocol", protocol] + spec[1:])
                record["server_cpu_share"] = (server.cpu() - before) / record["seconds"] if "seconds" in record else None
                if "seconds" in record:
                    if record.get("bytes") != expected:
                        record["error"] = f"received {record.get('bytes')} bytes, expected {expected}"
                    record["lines_per_s"] = cfg.lines / record["seconds"]
                return record

            results = harness.rounds_of(f"tail experiment {protocol}", clients, cfg.rounds, run_one,
                                        ["lines_per_s", "cpu_s", "server_cpu_share"])
            out[protocol] = with_ratios(medians_of(results), "raw-beast", "lines_per_s")
    finally:
        server.stop()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("experiment", choices=["get-job", "tail"])
    parser.add_argument("--build", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=3.0, help="get-job: seconds per client and round")
    parser.add_argument("--lines", type=int, default=1_000_000, help="tail: lines of the log")
    cfg = parser.parse_args()
    bench = os.path.join(cfg.build, "bench", "raycl_bench")
    out = {"experiment": cfg.experiment, "load_average_at_start": os.getloadavg()}
    out["results"] = (get_job if cfg.experiment == "get-job" else tail)(cfg, bench)
    out["load_average_at_end"] = os.getloadavg()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
