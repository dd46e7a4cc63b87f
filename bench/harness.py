"""raycl's benchmark harness: every scenario of bench/README.md, raycl against its peers in
the same run, interleaved round by round. Run through bench/run.sh (which builds and sets up).

Writes bench/results/<date>.{json,md,png} and bench/results/latest.{json,md,png}
(--quick: bench/results/quick/, not committed).
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "ray")
PEERS = os.path.join(ROOT, "bench", "peers.py")
PY = sys.executable
LOG = sys.stderr


def log(*parts):
    print("[bench]", *parts, file=LOG, flush=True)


# ---- processes -------------------------------------------------------------------------------

def run_json(cmd, env=None, timeout=900):
    """Runs one measurement process; returns (its JSON record, rusage of the child)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return {"error": f"timeout after {timeout}s", "cmd": cmd}
    wall = time.perf_counter() - start
    record = None
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            try:
                record = json.loads(line)
                break
            except json.JSONDecodeError:
                pass
    if record is None:
        record = {"error": f"exit {proc.returncode}, no JSON; stderr: {err.strip()[-400:]}"}
    elif proc.returncode != 0 and "error" not in record:
        record["error"] = f"exit {proc.returncode}; stderr: {err.strip()[-400:]}"
    record["process_wall_s"] = wall
    return record


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu_seconds(pid):
    """utime + stime of a running process (to see whether a server saturates)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Nginx:
    """nginx with its own config in a temp dir: fixed JSON bodies on a loopback port."""

    def __init__(self, workdir, files):
        self.port = free_port()
        self.dir = workdir
        locations = "\n".join(
            f"      location = {path} {{ default_type application/json; alias {file}; }}"
            for path, file in files.items())
        conf = f"""
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    server {{
      listen 127.0.0.1:{self.port} backlog=4096;
{locations}
    }}
}}
"""
        with open(os.path.join(workdir, "nginx.conf"), "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["nginx", "-c", os.path.join(workdir, "nginx.conf"), "-p", workdir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(self.port)
        self.url = f"http://127.0.0.1:{self.port}"

    def worker_pids(self):
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class TailServer:
    """bench/bench_server.cpp: the fake dashboard serving generated logs, own process."""

    def __init__(self, binary):
        self.proc = subprocess.Popen([binary], stdout=subprocess.PIPE, text=True)
        self.url = json.loads(self.proc.stdout.readline())["address"]

    def cpu(self):
        return proc_cpu_seconds(self.proc.pid)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


# ---- data ------------------------------------------------------------------------------------

def read_fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def make_data(workdir):
    """Bodies shaped like Ray 2.60's recorded answers: the get_job body as recorded, and lists
    of 10,000 jobs/tasks made from the recorded rows (ids varied)."""
    files = {}
    job = json.loads(read_fixture("jobs_get_failed.json"))  # ~1 KB, the largest single job
    files["job"] = os.path.join(workdir, "job.json")
    shutil.copy(os.path.join(FIXTURES, "jobs_get_failed.json"), files["job"])
    files["version"] = os.path.join(workdir, "version.json")
    shutil.copy(os.path.join(FIXTURES, "version.json"), files["version"])
    jobs = []
    succeeded = json.loads(read_fixture("jobs_get_succeeded.json"))
    for i in range(10000):
        row = dict(succeeded if i % 2 else job)
        row["submission_id"] = f"raysubmit_{1000000 + i}"
        row["job_id"] = f"{i:08x}"
        jobs.append(row)
    files["jobs"] = os.path.join(workdir, "jobs_10000.json")
    with open(files["jobs"], "w") as f:
        json.dump(jobs, f)
    envelope = json.loads(read_fixture("state_tasks.json"))
    rows = envelope["data"]["result"]["result"]
    tasks = []
    for i in range(10000):
        row = dict(rows[i % len(rows)])
        row["task_id"] = f"{i:040x}02000000"
        tasks.append(row)
    envelope["data"]["result"].update(total=10000, num_after_truncation=10000, num_filtered=10000, result=tasks)
    files["tasks"] = os.path.join(workdir, "tasks_10000.json")
    with open(files["tasks"], "w") as f:
        json.dump(envelope, f)
    return files


# ---- statistics ------------------------------------------------------------------------------

def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def med(results, key, metric):
    s = results.get(key, {}).get("summary", {}).get(metric)
    return s["median"] if s else None


def ratio(a, b):
    return a / b if a and b else None


def rotate(items, k):
    k %= len(items)
    return items[k:] + items[:k]


def rounds_of(label, clients, rounds, run_one, metrics):
    """Interleaves the clients: each round runs every client once, the order rotating."""
    results = {name: {"samples": []} for name, _ in clients}
    for r in range(rounds):
        for name, spec in rotate(clients, r):
            record = run_one(name, spec)
            results[name]["samples"].append(record)
            if "error" in record:
                log(f"{label} {name} round {r}: ERROR {record['error']}")
        log(f"{label}: round {r + 1}/{rounds} done")
    for name in results:
        samples = [s for s in results[name]["samples"] if "error" not in s]
        results[name]["summary"] = {m: summary([s.get(m) for s in samples]) for m in metrics}
        results[name]["errors"] = len(results[name]["samples"]) - len(samples)
    return results


# ---- scenarios -------------------------------------------------------------------------------

def scenario_get_job(cfg, nginx, bench):
    url, job_path = nginx.url, "/api/jobs/raysubmit_bench"
    out = {}
    for concurrency in (1, 64):
        clients = [
            ("wrk", None),
            ("raycl", None),
            ("aiohttp", None),
            ("requests", None),
            ("ray", None),
        ]

        def run_one(name, _spec, c=concurrency):
            if name == "wrk":
                return run_wrk(url + job_path, c, cfg.duration)
            if name == "raycl":
                return run_json([bench, "get-job", "--url", url, "--id", "raysubmit_bench", "--concurrency", str(c),
                                 "--duration", str(cfg.duration)])
            return run_json([PY, PEERS, "get-job", "--client", name, "--url", url, "--id", "raysubmit_bench",
                             "--concurrency", str(c), "--duration", str(cfg.duration)])

        out[f"c{concurrency}"] = rounds_of(f"get_job c={concurrency}", clients, cfg.rounds, run_one,
                                           ["requests_per_s", "cpu_us_per_request"])
    return out


def run_wrk(url, connections, duration):
    start = time.perf_counter()
    proc = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if not m:
        return {"error": "wrk: " + out[-300:]}
    cpu = usage.ru_utime + usage.ru_stime
    requests_done = int(total.group(1)) if total else None
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    record = {"bench": "get_job", "client": "wrk", "concurrency": connections, "requests": requests_done,
              "requests_per_s": float(m.group(1)), "cpu_s": cpu,
              "cpu_us_per_request": cpu / requests_done * 1e6 if requests_done else None, "process_wall_s": wall}
    if non2xx:
        record["error"] = f"{non2xx.group(1)} non-2xx answers"
    return record


def scenario_decode(cfg, files, bench):
    out = {}
    for kind in ("jobs", "tasks"):
        clients = [("raycl", None), ("ray", None), ("json", None)]

        def run_one(name, _spec, kind=kind):
            if name == "raycl":
                return run_json([bench, "decode", "--kind", kind, "--file", files[kind], "--repetitions", "3"])
            return run_json([PY, PEERS, "decode", "--client", name, "--kind", kind, "--file", files[kind],
                             "--repetitions", "3"])

        out[kind] = rounds_of(f"decode {kind}", clients, cfg.rounds, run_one, ["median_ms", "peak_extra_kib"])
    return out


def scenario_tail(cfg, tail_server, bench):
    job = f"bench_{cfg.tail_lines}"
    out = {}
    for protocol in ("websocket", "stream"):
        # raycl-batch: the same tail consumed with log_stream::next_batch() instead of next().
        clients = [("raycl", None), ("raycl-batch", None), ("raw-beast", None)]
        clients += [("websockets", None), ("ray", None), ("ray-lines", None)] if protocol == "websocket" else [("aiohttp", None)]

        def run_one(name, _spec, protocol=protocol):
            before = tail_server.cpu()
            if name in ("raycl", "raycl-batch", "raw-beast"):
                cmd = [bench, "raw-tail" if name == "raw-beast" else "tail", "--url", tail_server.url, "--id", job,
                       "--protocol", protocol] + (["--batch"] if name == "raycl-batch" else [])
            else:
                cmd = [PY, PEERS, "tail", "--client", name, "--url", tail_server.url, "--id", job]
            record = run_json(cmd)
            record["server_cpu_s"] = tail_server.cpu() - before
            if "seconds" in record:
                # Every client reads the same generated log: lines/s from the known line count
                # when the client counted bytes only (raw readers), after checking the bytes.
                record.setdefault("lines", cfg.tail_lines if record.get("bytes") == cfg.tail_bytes else None)
                if record.get("lines") is not None:
                    record["lines_per_s"] = record["lines"] / record["seconds"]
                if record.get("bytes") != cfg.tail_bytes:
                    record["error"] = f"received {record.get('bytes')} bytes, expected {cfg.tail_bytes}"
                record["server_cpu_share"] = record["server_cpu_s"] / record["seconds"]
            return record

        out[protocol] = rounds_of(f"tail {protocol}", clients, cfg.rounds, run_one,
                                  ["lines_per_s", "cpu_s", "server_cpu_share", "peak_rss_kib"])
    return out


def scenario_backpressure(cfg, tail_server, bench, line_bytes):
    lines = int(cfg.backpressure_bytes / line_bytes) + 1
    job = f"bench_{lines}"
    out = {"lines": lines, "log_bytes_target": cfg.backpressure_bytes, "pause": "1 ms every 1,000 lines"}
    clients = [("websocket", None), ("stream", None)]

    def run_one(protocol, _spec):
        record = run_json([bench, "tail", "--url", tail_server.url, "--id", job, "--protocol", protocol,
                           "--pause-every", "1000", "--pause-ms", "1", "--sample-ms", "20"])
        if "rss_series" in record:
            base = record["rss_baseline_kib"]
            record["peak_over_baseline_kib"] = max(record["sampled_peak_rss_kib"], record["peak_rss_kib"]) - base
            series = record["rss_series"]
            n = len(series)
            if n >= 8:
                first = max(v for _, v in series[n // 8: n // 4 + 1])
                last = max(v for _, v in series[3 * n // 4:])
                record["growth_last_vs_early_kib"] = last - first
            # Keep the result file small: at most ~60 points of the series.
            step = max(1, n // 60)
            record["rss_series"] = series[::step]
        if record.get("lines") != lines:
            record["error"] = record.get("error", f"delivered {record.get('lines')} of {lines} lines")
        return record

    out.update(rounds_of("backpressure", clients, cfg.rounds, run_one,
                         ["peak_over_baseline_kib", "growth_last_vs_early_kib", "seconds", "bytes"]))
    return out


def scenario_scale(cfg):
    soak = cfg.soak
    if not soak or not os.path.exists(soak):
        return {"skipped": f"raycl_soak not built ({soak})"}
    clients = [("websocket", None), ("stream", None)]

    def run_one(protocol, _spec):
        cmd = ["taskset", "-c", "0,1", soak, "--tails", "1000", "--duration", str(cfg.soak_duration),
               "--disconnect-rate", "0", "--protocol", protocol, "--queue-size", "1000",
               "--lines-per-second-per-tail", "20", "--seed", "1", "--json"]
        record = run_json(cmd, timeout=cfg.soak_duration * 10 + 300)
        if "rss_peak" in record:  # KiB
            record["rss_peak_mib"] = record["rss_peak"] / 1024
            record["cpu_s"] = record.get("cpu_user_s", 0) + record.get("cpu_sys_s", 0)
            record["lines_lost"] = record.get("lost")
            record.pop("rss_kib", None)  # the soak's time series: kept small below
        if "ok" in record:
            record["soak_checks_ok"] = 1 if record["ok"] else 0
        return record

    rounds = max(1, cfg.rounds if not cfg.quick else 1)
    return rounds_of("scale", clients, rounds, run_one,
                     ["rss_peak_mib", "cpu_s", "lines_delivered", "lines_lost", "duplicates", "soak_checks_ok"])


def scenario_cluster(cfg, bench, wanted):
    """Scenarios 6 (`cluster`) and 8 (`package_submit`), on one real cluster brought up for them.
    Its name and dashboard port: RAYCL_BENCH_CLUSTER_NAME (bench) and RAYCL_BENCH_DASHBOARD_PORT
    (8430), so that a benchmark can run beside other clusters."""
    name = os.environ.get("RAYCL_BENCH_CLUSTER_NAME", "bench")
    port = os.environ.get("RAYCL_BENCH_DASHBOARD_PORT", "8430")
    env = dict(os.environ, RAYCL_RAY_DASHBOARD_PORT=port)
    script = os.path.join(ROOT, "scripts", "ray-cluster.sh")
    log(f"bringing up the Ray cluster '{name}' (dashboard port {port})")
    up = subprocess.run([script, "up", "--auth", "token", "--workers", "1", "--name", name], env=env,
                        capture_output=True, text=True)
    if up.returncode != 0:
        return {"skipped": "ray-cluster.sh up failed: " + up.stderr[-500:]}
    try:
        values = {}
        with open(f"/tmp/raycl-{name}/raycl.env") as f:
            for line in f:
                line = line.strip()
                if "=" in line and not line.startswith("#"):
                    k, v = line.split("=", 1)
                    values[k.replace("export ", "")] = v.strip("'\"")
        address, token = values["RAYCL_TEST_ADDRESS"], values["RAYCL_TEST_TOKEN"]
        cenv = dict(os.environ, RAY_ADDRESS=address, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
        # A few jobs so that `job list` has something to list.
        for i in range(3):
            run_json([bench, "first-line", "--url", address, "--token-from-env", "--entrypoint",
                      f"echo warmup-{i}"], env=cenv)

        def timed(cmd):
            start = time.perf_counter()
            p = subprocess.run(cmd, env=cenv, capture_output=True, text=True)
            record = {"wall_ms": (time.perf_counter() - start) * 1e3}
            if p.returncode != 0:
                record["error"] = f"exit {p.returncode}: {p.stderr[-300:]}"
            return record

        out = {"address_port": port}
        if wanted("cluster"):
            cluster_lists_and_first_line(cfg, bench, address, cenv, out, timed)
        if wanted("package_submit"):  # last: its ~30 jobs would lengthen the job list above
            import package_submit  # bench/package_submit.py

            log("package_submit: raycl and Ray's JobSubmissionClient, (a) (b) (c) interleaved")
            out["package_submit"] = package_submit.measure(address, bench, max(cfg.rounds, 3), env=cenv, log=log)
        return out
    finally:
        subprocess.run([script, "down", "--name", name], env=env, capture_output=True, text=True)
        log(f"Ray cluster '{name}' is down")


def cluster_lists_and_first_line(cfg, bench, address, cenv, out, timed):
    """Scenario 6 on the running cluster: cold `job list` and submit-to-first-line."""
    ray_cli = os.path.join(os.path.dirname(PY), "ray")
    raycl_cli = cfg.cli
    list_clients = [("raycl", [raycl_cli, "job", "list"]), ("ray", [ray_cli, "job", "list"])]
    out["job_list"] = rounds_of("cluster job list", list_clients, max(cfg.rounds, 5),
                                lambda _n, cmd: timed(cmd), ["wall_ms"])
    entry = "echo first-line-$RANDOM; sleep 1"

    def first_line(name, _spec):
        if name == "raycl":
            return run_json([bench, "first-line", "--url", address, "--token-from-env", "--entrypoint", entry],
                            env=cenv, timeout=180)
        return run_json([PY, PEERS, "first-line", "--client", "ray", "--url", address, "--entrypoint", entry],
                        env=cenv, timeout=180)

    out["first_line"] = rounds_of("cluster first line", [("raycl", None), ("ray", None)], max(cfg.rounds, 5),
                                  first_line, ["first_line_ms", "submit_ms"])


def callgrind_ir(cmd):
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={d}/cg.out"] + cmd,
                           capture_output=True, text=True, timeout=1800)
        m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
        if not m:
            raise RuntimeError("callgrind: " + p.stderr[-500:])
        return int(m.group(1))


def scenario_callgrind(cfg, nginx, tail_server, bench):
    out = {}
    small, large = (50, 550) if cfg.quick else (100, 1100)

    def get_job_ir(n):
        return callgrind_ir([bench, "get-job", "--url", nginx.url, "--id", "raysubmit_bench", "--concurrency", "1",
                             "--count", str(n), "--warmup-count", "1"])

    a, b = get_job_ir(small), get_job_ir(large)
    out["get_job"] = {"ir_small": a, "ir_large": b, "calls": [small, large], "ir_per_call": (b - a) / (large - small)}
    lines_small, lines_large = (10000, 60000) if cfg.quick else (10000, 110000)

    def tail_ir(lines, protocol):
        return callgrind_ir([bench, "tail", "--url", tail_server.url, "--id", f"bench_{lines}",
                             "--protocol", protocol])

    for protocol in ("websocket", "stream"):
        a, b = tail_ir(lines_small, protocol), tail_ir(lines_large, protocol)
        out[f"tail_{protocol}"] = {"ir_small": a, "ir_large": b, "lines": [lines_small, lines_large],
                                   "ir_per_1000_lines": (b - a) / ((lines_large - lines_small) / 1000)}
    return out


# ---- machine and versions ----------------------------------------------------------------------

def machine_info(cfg):
    cpu_model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break

    def cmd_version(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return None

    boost = None
    try:
        with open("/usr/include/boost/version.hpp") as f:
            m = re.search(r'#define BOOST_LIB_VERSION "([^"]+)"', f.read())
            boost = m.group(1).replace("_", ".") if m else None
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip() != ""
    peers = {}
    for name in ("ray", "requests", "aiohttp", "websockets", "pydantic", "matplotlib"):
        try:
            peers[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            peers[name] = None
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {
        "cores": os.cpu_count(),
        "cpu_model": cpu_model,
        "kernel": platform.release(),
        "load_average_at_start": load,
        "shared_machine": "yes: 2 cores shared with other developers' builds and tests while it ran",
        "raycl_commit": commit + ("-dirty" if dirty else ""),
        "raycl_build": cfg.build,
        "compiler": cmd_version(["c++", "--version"]),
        "boost": boost,
        "python": platform.python_version(),
        "peers": peers,
        "wrk": cmd_version(["wrk", "-v"]),
        "nginx": cmd_version(["nginx", "-v"]),
        "valgrind": cmd_version(["valgrind", "--version"]),
    }


# ---- main ------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    parser.add_argument("--soak", default=None)
    parser.add_argument("--no-cluster", action="store_true")
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--only", default="",
                        help="comma-separated scenarios (get_job,decode,tail,backpressure,scale,callgrind,cluster,"
                             "package_submit)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--update", default=None,
                        help="a results JSON to complete: its scenarios are kept, those run now replace theirs")
    cfg = parser.parse_args()
    cfg.rounds = 2 if cfg.quick else 5
    cfg.duration = 1.0 if cfg.quick else 3.0
    cfg.tail_lines = 100_000 if cfg.quick else 1_000_000
    cfg.backpressure_bytes = (64 << 20) if cfg.quick else (1 << 30)
    cfg.soak_duration = 10 if cfg.quick else 20
    bench = os.path.join(cfg.build, "bench", "raycl_bench")
    cfg.cli = os.path.join(cfg.build, "src", "cli", "raycl")
    cfg.soak = cfg.soak or os.path.join(cfg.build, "test", "soak", "raycl_soak")
    only = set(filter(None, cfg.only.split(",")))
    wanted = lambda name: not only or name in only  # noqa: E731

    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    out_dir = cfg.out or os.path.join(ROOT, "bench", "results", "quick" if cfg.quick else "")
    os.makedirs(out_dir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="raycl-bench-")
    os.chmod(workdir, 0o755)  # nginx workers run as nobody
    results = {"date": date, "quick": cfg.quick, "machine": machine_info(cfg),
               "settings": {"rounds": cfg.rounds, "get_job_duration_s": cfg.duration, "tail_lines": cfg.tail_lines,
                            "backpressure_bytes": cfg.backpressure_bytes},
               "servers": {"http": "nginx (1 worker, keep-alive, static fixture files) on 127.0.0.1",
                           "tail": "bench/bench_server.cpp (test/support fake dashboard, Beast, one thread) "
                                   "in its own process on 127.0.0.1"},
               "scenarios": {}}
    files = make_data(workdir)
    nginx = Nginx(workdir, {"/api/version": files["version"], "/api/jobs/raysubmit_bench": files["job"],
                            "/api/jobs/": files["jobs"]})
    tail_server = TailServer(os.path.join(cfg.build, "bench", "raycl_bench_server"))
    # The generated log's exact size, for the raw readers' check and the 1 GiB target.
    probe = run_json([bench, "raw-tail", "--url", tail_server.url, "--id", "bench_100000", "--protocol", "stream"])
    line_bytes = probe["bytes"] / 100000
    cfg.tail_bytes = run_json([bench, "raw-tail", "--url", tail_server.url, "--id", f"bench_{cfg.tail_lines}",
                               "--protocol", "stream"])["bytes"]
    results["settings"]["tail_bytes"] = cfg.tail_bytes
    if cfg.update:
        with open(cfg.update) as f:
            previous = json.load(f)
        previous.setdefault("updates", []).append(
            {"date": date, "scenarios": sorted(only), "machine": results["machine"]})
        results = previous
        results["goals"] = []
    scen = results["scenarios"]
    try:
        if wanted("get_job"):
            scen["get_job"] = scenario_get_job(cfg, nginx, bench)
        if wanted("decode"):
            scen["decode"] = scenario_decode(cfg, files, bench)
        if wanted("tail"):
            scen["tail"] = scenario_tail(cfg, tail_server, bench)
        if wanted("backpressure"):
            scen["backpressure"] = scenario_backpressure(cfg, tail_server, bench, line_bytes)
        if wanted("scale"):
            scen["scale"] = scenario_scale(cfg)
        if wanted("callgrind") and not cfg.no_callgrind:
            scen["callgrind"] = scenario_callgrind(cfg, nginx, tail_server, bench)
    finally:
        nginx.stop()
        tail_server.stop()
    if (wanted("cluster") or wanted("package_submit")) and not cfg.no_cluster:
        cluster = scenario_cluster(cfg, bench, wanted)
        if wanted("package_submit"):
            scen["package_submit"] = cluster.pop("package_submit", {"skipped": cluster.get("skipped")})
        if wanted("cluster"):
            scen["cluster"] = cluster
    shutil.rmtree(workdir, ignore_errors=True)

    import report  # bench/report.py

    goals = report.goals(results)
    results["goals"] = goals
    base = os.path.join(out_dir, date)
    with open(base + ".json", "w") as f:
        json.dump(results, f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(report.markdown(results))
    report.plot(results, base + ".png")
    for ext in ("json", "md", "png"):
        if os.path.exists(f"{base}.{ext}"):
            shutil.copy(f"{base}.{ext}", os.path.join(out_dir, f"latest.{ext}"))
    log(f"wrote {base}.{{json,md,png}} and latest.*")
    print(report.markdown(results))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
