"""The Python peers of raycl's benchmark: one measurement per run, one JSON object on stdout.

bench/harness.py runs these interleaved with bench/raycl_bench against the same servers. Each
measures only its window (imports and client construction excluded, as for raycl), and reports
the CPU time of that window (resource.getrusage, all threads).

  get-job    --client requests|aiohttp|ray --url U --id ID --concurrency C --duration S
  decode     --client ray|json --kind jobs|tasks --file F
  tail       --client ray|ray-lines|websockets|aiohttp --url U --id ID
  first-line --client ray --url U --entrypoint CMD
"""

import argparse
import asyncio
import json
import resource
import sys
import threading
import time


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_kib():
    return status_kib("VmRSS")


def reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def emit(record):
    record.setdefault("peak_rss_kib", status_kib("VmHWM"))
    print(json.dumps(record), flush=True)


# ---- get-job ---------------------------------------------------------------------------------

def get_job_threads(call, concurrency, duration):
    """Runs call() in `concurrency` threads until the deadline; returns (done, errors)."""
    deadline = time.perf_counter() + duration
    counts = [[0, 0] for _ in range(concurrency)]

    def worker(slot):
        while time.perf_counter() < deadline:
            try:
                call(slot)
                counts[slot][0] += 1
            except Exception:  # noqa: BLE001 - counted and reported
                counts[slot][1] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def get_job(args):
    url = f"{args.url}/api/jobs/{args.id}"
    if args.client == "requests":
        import requests

        sessions = [requests.Session() for _ in range(args.concurrency)]

        def call(slot):
            r = sessions[slot].get(url)
            r.raise_for_status()
            json.loads(r.content)

        run = lambda duration: get_job_threads(call, args.concurrency, duration)  # noqa: E731
    elif args.client == "ray":
        from ray.job_submission import JobSubmissionClient

        client = JobSubmissionClient(args.url)

        def call(_slot):
            client.get_job_info(args.id)

        run = lambda duration: get_job_threads(call, args.concurrency, duration)  # noqa: E731
    elif args.client == "aiohttp":
        import aiohttp

        loop = asyncio.new_event_loop()
        session_holder = {}

        async def make_session():
            session_holder["s"] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=args.concurrency))

        loop.run_until_complete(make_session())

        async def worker(deadline, counts):
            session = session_holder["s"]
            while time.perf_counter() < deadline:
                try:
                    async with session.get(url) as r:
                        r.raise_for_status()
                        json.loads(await r.read())
                    counts[0] += 1
                except Exception:  # noqa: BLE001
                    counts[1] += 1

        def run(duration):
            counts = [0, 0]
            deadline = time.perf_counter() + duration

            async def all_workers():
                await asyncio.gather(*(worker(deadline, counts) for _ in range(args.concurrency)))

            loop.run_until_complete(all_workers())
            return counts[0], counts[1]
    else:
        raise SystemExit(f"unknown client {args.client}")

    run(args.warmup)
    cpu_before = cpu_seconds()
    start = time.perf_counter()
    done, errors = run(args.duration)
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_before
    emit({"bench": "get_job", "client": args.client, "concurrency": args.concurrency,
          "requests": done, "errors": errors, "seconds": elapsed, "requests_per_s": done / elapsed,
          "cpu_s": cpu, "cpu_us_per_request": cpu / done * 1e6 if done else 0.0})


# ---- decode ----------------------------------------------------------------------------------

def decode(args):
    with open(args.file, "rb") as f:
        body = f.read()
    if args.client == "ray":
        if args.kind == "jobs":
            from ray.job_submission import JobDetails

            def convert(text):  # JobSubmissionClient.list_jobs
                return [JobDetails(**job) for job in json.loads(text)]
        else:
            from ray.util.state.common import StateResource, dict_to_state

            def convert(text):  # StateApiClient.list (ray.util.state.list_tasks)
                response = json.loads(text)["data"]["result"]
                return [dict_to_state(d, StateResource.TASKS) for d in response["result"]]
    else:
        def convert(text):
            return json.loads(text)

    samples, peak_extra, records = [], 0, 0
    for _ in range(args.repetitions):
        baseline = rss_kib()
        reset_peak_rss()
        start = time.perf_counter()
        result = convert(body)
        samples.append((time.perf_counter() - start) * 1e3)
        peak_extra = max(peak_extra, status_kib("VmHWM") - baseline)
        records = len(result) if isinstance(result, list) else len(result["data"]["result"]["result"])
        del result
    emit({"bench": "decode", "client": args.client, "kind": args.kind, "records": records,
          "body_bytes": len(body), "samples_ms": samples, "median_ms": sorted(samples)[len(samples) // 2],
          "peak_extra_kib": peak_extra})


# ---- tail ------------------------------------------------------------------------------------

async def tail_ray(args):
    from ray.job_submission import JobSubmissionClient

    client = JobSubmissionClient(args.url)
    lines = size = 0
    cpu_before = cpu_seconds()
    start = time.perf_counter()
    split = args.client == "ray-lines"
    async for chunk in client.tail_job_logs(args.id):
        size += len(chunk)
        if split:  # what a caller needing lines does with Ray's chunks
            for _line in chunk.splitlines():
                lines += 1
        else:
            lines += chunk.count("\n")
    return lines, size, time.perf_counter() - start, cpu_seconds() - cpu_before


async def tail_websockets(args):
    import websockets

    ws_url = args.url.replace("http://", "ws://") + f"/api/jobs/{args.id}/logs/tail"
    size = 0
    cpu_before = cpu_seconds()
    start = time.perf_counter()
    async with websockets.connect(ws_url, max_size=None, compression=None) as ws:
        try:
            async for message in ws:
                size += len(message)
        except websockets.ConnectionClosedOK:
            pass
    return None, size, time.perf_counter() - start, cpu_seconds() - cpu_before


async def tail_aiohttp(args):
    import aiohttp

    url = f"{args.url}/api/v0/logs/stream?submission_id={args.id}&node_id=x&lines=-1"
    size = 0
    async with aiohttp.ClientSession() as session:
        cpu_before = cpu_seconds()
        start = time.perf_counter()
        async with session.get(url) as r:
            async for chunk in r.content.iter_any():
                size += len(chunk)
        return None, size, time.perf_counter() - start, cpu_seconds() - cpu_before


def tail(args):
    runner = {"ray": tail_ray, "ray-lines": tail_ray, "websockets": tail_websockets, "aiohttp": tail_aiohttp}[args.client]
    lines, size, elapsed, cpu = asyncio.run(runner(args))
    record = {"bench": "tail", "client": args.client,
              "protocol": "stream" if args.client == "aiohttp" else "websocket",
              "bytes": size, "seconds": elapsed, "cpu_s": cpu}
    if lines is not None:
        record["lines"] = lines
        record["lines_per_s"] = lines / elapsed
    emit(record)


# ---- first-line (real cluster) -----------------------------------------------------------------

def first_line(args):
    from ray.job_submission import JobSubmissionClient

    client = JobSubmissionClient(args.url)

    async def run():
        start = time.perf_counter()
        submission_id = client.submit_job(entrypoint=args.entrypoint)
        submit_ms = (time.perf_counter() - start) * 1e3
        async for chunk in client.tail_job_logs(submission_id):
            if chunk:
                return submission_id, submit_ms, (time.perf_counter() - start) * 1e3
        return submission_id, submit_ms, None

    submission_id, submit_ms, first_ms = asyncio.run(run())
    record = {"bench": "first_line", "client": "ray", "submission_id": submission_id,
              "submit_ms": submit_ms, "first_line_ms": first_ms}
    if first_ms is None:
        record["error"] = "the log ended without a line"
    emit(record)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["get-job", "decode", "tail", "first-line"])
    parser.add_argument("--client", required=True)
    parser.add_argument("--url")
    parser.add_argument("--id")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--kind")
    parser.add_argument("--file")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--entrypoint")
    args = parser.parse_args()
    {"get-job": get_job, "decode": decode, "tail": tail, "first-line": first_line}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
