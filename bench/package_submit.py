#!/usr/bin/env python3
"""Package and submit, side by side in one run: raycl (`raycl_bench package-submit`) against Ray's
`JobSubmissionClient.submit_job`, on a running cluster.

  <ray venv>/bin/python bench/package_submit.py --address http://127.0.0.1:8265 \
      --raycl-bench build/bench/raycl_bench [--rounds 3]

Scenarios (issue 11): (a) 2,000 small files, about 20 MiB; (b) 5 files, about 80 MiB; (c) the
unchanged tree of (a) submitted again. Every round makes fresh trees (a nonce file), one per client,
so (a) and (b) always upload; (c) re-submits the tree that client uploaded in (a). The trees are
written first and left 2.5 s before any submit: raycl's hash cache trusts an entry only for a file
at least 2 s older than the record (git's rule), as it is for code edited before a submit.
Timed: the submit_job call only (client construction excluded for both). Peak RSS: raycl reports
VmHWM over its RSS before the call; Ray's is ru_maxrss of a child process over its RSS after
imports and client construction. Prints one JSON line per sample, then a Markdown table.
bench/harness.py runs the same measure() on its cluster (scenario 8 of bench/run.sh).
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RAY_CLIENT = r"""
import json, os, resource, sys, time
from ray.job_submission import JobSubmissionClient
client = JobSubmissionClient(sys.argv[1])
def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
baseline = rss_kib()
start = time.perf_counter()
client.submit_job(entrypoint="true", runtime_env={"working_dir": sys.argv[2]})
ms = (time.perf_counter() - start) * 1e3
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"client": "ray", "submit_ms": ms, "peak_over_baseline_kib": peak - baseline}))
"""


def small_files(root, rng, nonce):
    for i in range(2000):
        d = os.path.join(root, "pkg%02d" % (i % 40))
        os.makedirs(d, exist_ok=True)
        words = " ".join(rng.choice(("alpha", "beta", "gamma", "delta", "x%d" % i)) for _ in range(1700))
        with open(os.path.join(d, "mod%04d.py" % i), "w") as f:
            f.write(words[:10 * 1024])
    with open(os.path.join(root, "nonce.txt"), "w") as f:
        f.write(nonce)


def large_files(root, rng, nonce):
    os.makedirs(root, exist_ok=True)
    for i in range(5):
        with open(os.path.join(root, "blob%d.bin" % i), "wb") as f:
            f.write(rng.randbytes(16 << 20))
    with open(os.path.join(root, "nonce.txt"), "w") as f:
        f.write(nonce)


def run_raycl(bench, address, tree, cache, env=None):
    env = dict(env or os.environ, XDG_CACHE_HOME=cache)
    cmd = [bench, "package-submit", "--url", address, "--dir", tree, "--entrypoint", "true"]
    if env.get("RAY_AUTH_TOKEN"):
        cmd.append("--token-from-env")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    lines = out.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError("raycl_bench: exit %d, no output; stderr: %s" % (out.returncode, out.stderr[-2000:]))
    sample = json.loads(lines[-1])
    if "error" in sample:
        raise RuntimeError("raycl_bench: " + sample["error"])
    return sample


def run_ray(address, tree, env=None):
    out = subprocess.run([sys.executable, "-c", RAY_CLIENT, address, tree], capture_output=True, text=True,
                         timeout=600, env=env)
    if out.returncode != 0:
        raise RuntimeError("Ray's client failed: " + out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


SCENARIOS = ("a", "b", "c")
NAMES = {"a": "(a) 2,000 files, 20 MiB", "b": "(b) 5 files, 80 MiB", "c": "(c) (a) again, unchanged"}
METRICS = ("submit_ms", "peak_over_baseline_kib", "archive_bytes")


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def measure(address, raycl_bench, rounds, env=None, log=None, on_sample=None):
    """Both clients on the three scenarios, `rounds` times, interleaved (the order alternates
    every round). Returns {scenario: {client: {"samples": [...], "summary": {metric: {median,
    min, max, n}}, "errors": n}}}, the layout of bench/harness.py. `env` (default: this process's)
    is the clients' environment: RAY_AUTH_MODE=token and RAY_AUTH_TOKEN for a token cluster."""
    work = tempfile.mkdtemp(prefix="raycl-package-bench-")
    cache = os.path.join(work, "cache")
    results = {scenario: {client: {"samples": []} for client in ("raycl", "ray")} for scenario in SCENARIOS}
    try:
        for round_index in range(rounds):
            rng = random.Random(round_index)
            trees = {}
            for client in ("raycl", "ray"):
                nonce = "%s-%d-%f" % (client, round_index, time.time())
                trees[(client, "a")] = os.path.join(work, "%s-a-%d" % (client, round_index))
                small_files(trees[(client, "a")], rng, nonce)
                trees[(client, "b")] = os.path.join(work, "%s-b-%d" % (client, round_index))
                large_files(trees[(client, "b")], rng, nonce)
            time.sleep(2.5)
            order = ["raycl", "ray"] if round_index % 2 == 0 else ["ray", "raycl"]
            for scenario, tree_of in (("a", "a"), ("b", "b"), ("c", "a")):
                for client in order:
                    tree = trees[(client, tree_of)]
                    try:
                        sample = run_raycl(raycl_bench, address, tree, cache, env) if client == "raycl" \
                            else run_ray(address, tree, env)
                    except Exception as error:  # recorded, as the harness records failed samples
                        sample = {"client": client, "error": str(error)[-1000:]}
                        if log:
                            log("package_submit %s %s round %d: ERROR %s" % (scenario, client, round_index,
                                                                              sample["error"]))
                    sample.update({"scenario": scenario, "round": round_index})
                    if on_sample:
                        on_sample(sample)
                    results[scenario][client]["samples"].append(sample)
            for tree in trees.values():
                shutil.rmtree(tree, ignore_errors=True)
            if log:
                log("package_submit: round %d/%d done" % (round_index + 1, rounds))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for scenario in SCENARIOS:
        for node in results[scenario].values():
            good = [s for s in node["samples"] if "error" not in s]
            node["summary"] = {m: summary([s.get(m) for s in good]) for m in METRICS}
            node["errors"] = len(node["samples"]) - len(good)
    return results


def table(results):
    """The Markdown table: medians of submit_ms, their ratio, the largest peak RSS over baseline."""
    lines = ["| scenario | raycl ms | Ray ms | Ray / raycl | raycl peak RSS over baseline | Ray peak RSS over baseline |",
             "|---|---|---|---|---|---|"]
    for scenario in SCENARIOS:
        ours, theirs = results[scenario]["raycl"]["summary"], results[scenario]["ray"]["summary"]
        if not ours["submit_ms"] or not theirs["submit_ms"]:
            lines.append("| %s | n/a | n/a | n/a | n/a | n/a |" % NAMES[scenario])
            continue
        ours_ms, theirs_ms = ours["submit_ms"]["median"], theirs["submit_ms"]["median"]
        lines.append("| %s | %.0f [%.0f-%.0f] | %.0f [%.0f-%.0f] | %.1fx | %.1f MiB | %.1f MiB |" % (
            NAMES[scenario], ours_ms, ours["submit_ms"]["min"], ours["submit_ms"]["max"], theirs_ms,
            theirs["submit_ms"]["min"], theirs["submit_ms"]["max"], theirs_ms / ours_ms,
            ours["peak_over_baseline_kib"]["max"] / 1024, theirs["peak_over_baseline_kib"]["max"] / 1024))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--raycl-bench", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = measure(args.address, args.raycl_bench, args.rounds,
                      on_sample=lambda sample: print(json.dumps(sample), flush=True))
    print()
    print(table(results))


if __name__ == "__main__":
    main()
