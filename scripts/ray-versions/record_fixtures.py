"""Record real dashboard responses of one running Ray cluster into test/fixtures/ray/<version>/.

Run with the cluster's own venv python against a cluster of scripts/ray-cluster.sh:

  env=$(RAYCL_VENV=$venv RAYCL_RAY_DASHBOARD_PORT=8344 scripts/ray-cluster.sh up --auth disabled --name ver-a)
  $venv/bin/python scripts/ray-versions/record_fixtures.py --env "$env" [--out DIR] [--only SECTION,...]

Every response is stored byte for byte (body only; an empty file is an empty body). Streamed
log bodies are read off a raw socket, so `<name>.chunks.json` beside them keeps the size and
first byte of every HTTP chunk (the leading `1`/`0` of older Rays is per chunk). README.md in
the output directory indexes request, status and content type of every file. Tokens are never
written: requests that carry one are shown with `Authorization: Bearer <token>`.

Sections (all by default, in this order): version auth serve packages status jobs tail logs state.
Only the standard library and aiohttp (every ray[default] has it) are used.
"""
import argparse
import asyncio
import io
import json
import os
import re
import socket
import sys
import time
import urllib.parse
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PYDIR = os.path.join(REPO, "test", "integration", "python")
UA = "raycl-recorder"


class Cluster:
    def __init__(self, envfile):
        values = {}
        with open(envfile) as f:
            for line in f:
                line = line.strip()
                if line.startswith("export "):
                    line = line[7:]
                if "=" in line and not line.startswith("#"):
                    k, v = line.split("=", 1)
                    values[k] = v
        self.address = values["RAYCL_TEST_ADDRESS"]
        u = urllib.parse.urlparse(self.address)
        self.host, self.port = u.hostname, u.port
        self.auth = values.get("RAYCL_TEST_AUTH", "disabled")
        self.token = values.get("RAYCL_TEST_TOKEN", "")
        self.venv = values["RAYCL_TEST_VENV"]
        self.serve_port = int(values.get("RAYCL_TEST_SERVE_PORT", "0") or 0)
        self.python = os.path.join(self.venv, "bin", "python")


class Response:
    def __init__(self, status, headers, body, chunks, timed_out):
        self.status, self.headers, self.body, self.chunks, self.timed_out = status, headers, body, chunks, timed_out

    @property
    def content_type(self):
        return self.headers.get("content-type", "")

    def json(self):
        return json.loads(self.body)


def raw_request(cl, method, path, body=None, headers=None, token=True, max_time=30.0, max_bytes=4 << 20):
    """One HTTP/1.1 request on a fresh socket; reads until close, max_time or max_bytes.

    Returns the de-chunked body and the list of chunks (bytes) as they came on the wire.
    """
    hdrs = {"Host": f"{cl.host}:{cl.port}", "User-Agent": UA, "Connection": "close", "Accept-Encoding": "identity"}
    if token and cl.auth == "token" and cl.token:
        hdrs["Authorization"] = f"Bearer {cl.token}"
    if headers:
        for k, v in headers.items():
            if v is None:
                hdrs.pop(k, None)
            else:
                hdrs[k] = v
    data = b""
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    if data or method in ("POST", "PUT"):
        hdrs["Content-Length"] = str(len(data))
    req = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    s = socket.create_connection((cl.host, cl.port), timeout=max_time)
    deadline = time.monotonic() + max_time
    buf = b""
    timed_out = False
    try:
        s.sendall(req.encode() + data)
        while len(buf) < max_bytes:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            s.settimeout(left)
            try:
                got = s.recv(65536)
            except socket.timeout:
                timed_out = True
                break
            except ConnectionResetError:
                break
            if not got:
                break
            buf += got
            if _complete(buf):
                break
    finally:
        s.close()
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    chunks = []
    malformed = False
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while rest:
            size_line, sep, rest = rest.partition(b"\r\n")
            if not sep:
                break
            try:
                size = int(size_line.split(b";")[0], 16)
            except ValueError:  # not chunk framing (e.g. a second response after the first's headers)
                malformed = True
                body += size_line + sep + rest
                break
            if size == 0:
                break
            chunk, rest = rest[:size], rest[size + 2:]
            chunks.append(chunk)
            body += chunk
    else:
        body = rest
        if "content-length" in headers:
            body = body[: int(headers["content-length"])]
    r = Response(status, headers, body, chunks, timed_out)
    r.malformed = malformed
    return r


def _complete(buf):
    head, sep, rest = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    h = head.lower()
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", h)
    if m:
        return len(rest) >= int(m.group(1))
    if b"transfer-encoding: chunked" in h:
        return rest.endswith(b"0\r\n\r\n") and (rest == b"0\r\n\r\n" or b"\r\n0\r\n\r\n" in rest)
    return False


class Recorder:
    def __init__(self, cl, out, version):
        self.cl, self.out, self.version = cl, out, version
        self.index = {}  # file -> (request, status, content type, note)
        self.notes = []
        os.makedirs(out, exist_ok=True)
        old = os.path.join(out, "index.json")
        if os.path.exists(old):
            with open(old) as f:
                self.index = {k: tuple(v) for k, v in json.load(f).items()}

    def shown(self, method, path, body=None, headers=None, token=True):
        s = f"{method} {path}"
        for k, v in (headers or {}).items():
            s += f" -H '{k}: {v}'" if v is not None else f" -H '{k}:' (removed)"
        if not token:
            s += " (no token)"
        if body is not None and isinstance(body, bytes) and not body.isascii():
            s += f" (body: <{len(body)} binary bytes>)"
        elif body is not None:
            b = body.decode("latin-1") if isinstance(body, bytes) else json.dumps(body)
            s += f" (body: {b if len(b) < 400 else b[:400] + '...'})"
        return self.redact(s)

    def redact(self, text):
        text = text.replace(self.cl.venv, "$VENV").replace(REPO, "$REPO")
        if self.cl.token:
            text = text.replace(self.cl.token, "<token>")
        return text

    def save(self, name, data, request, status, ctype, note=""):
        if isinstance(data, str):
            data = data.encode()
        if self.cl.token and self.cl.token.encode() in data:
            data = data.replace(self.cl.token.encode(), b"<token>")
        with open(os.path.join(self.out, name), "wb") as f:
            f.write(data)
        self.index[name] = (request, status, ctype, note, self.cl.auth)
        print(f"  {name}: {status} {ctype} {len(data)} bytes {note}", flush=True)

    def rec(self, name, method, path, body=None, headers=None, token=True, max_time=30.0, trim=None, note="",
            chunks=False, max_bytes=4 << 20):
        """Does the request and stores its body as `name` (trimmed JSON lists if `trim`)."""
        r = raw_request(self.cl, method, path, body, headers, token, max_time, max_bytes)
        data = r.body
        if trim and r.status == 200 and "json" in r.content_type:
            data, tnote = trim(json.loads(r.body))
            data = (json.dumps(data, indent=None) + "").encode()
            note = (note + " " + tnote).strip()
        if r.timed_out:
            note = (note + f" (read stopped after {max_time:g} s, stream still open)").strip()
        if getattr(r, "malformed", False):
            note = (note + " (body is not valid chunked framing: the rest of the wire bytes are appended raw)").strip()
        self.save(name, data, self.shown(method, path, body, headers, token), r.status, r.content_type or "(none)",
                  note)
        if chunks and r.chunks:
            meta = [{"size": len(c), "first_byte": c[:1].decode("latin-1")} for c in r.chunks]
            with open(os.path.join(self.out, name + ".chunks.json"), "w") as f:
                json.dump(meta, f)
                f.write("\n")
        return r

    def write_index(self):
        with open(os.path.join(self.out, "index.json"), "w") as f:
            json.dump(self.index, f, indent=1, sort_keys=True)
            f.write("\n")
        lines = [
            f"# Recorded Ray {self.version} dashboard responses",
            "",
            "Recorded by `scripts/ray-versions/record_fixtures.py` against a 2-node loopback cluster of",
            "`scripts/ray-cluster.sh` (head 2 CPUs + 1 worker node). Each file is one response body byte for",
            "byte (an empty file = empty body); `*.chunks.json` lists the HTTP chunks of a streamed body",
            "(size and first byte). `$VENV` = the cluster's venv, `$REPO` = the raycl checkout. Findings across",
            "versions: `docs/ray-versions.md`. Files with the same name as in `test/fixtures/ray/` answer the",
            "same request. A list noted \"trimmed\" keeps its first rows and is re-serialized by `json.dumps`",
            "(every other file is the raw body; each row shape has an untrimmed sample, e.g. `*_limit1.json`).",
            "",
            "| file | request | status | content-type | auth | note |",
            "|---|---|---|---|---|---|",
        ]
        for name in sorted(self.index):
            req, status, ctype, note = self.index[name][:4]
            auth = self.index[name][4] if len(self.index[name]) > 4 else ""
            lines.append(f"| `{name}` | `{req}` | {status} | {ctype} | {auth} | {note} |".replace("\n", " "))
        with open(os.path.join(self.out, "README.md"), "w") as f:
            f.write("\n".join(lines) + "\n")


# ---- helpers --------------------------------------------------------------------------------
def q(**kw):
    return urllib.parse.urlencode(kw)


def job_get(cl, sid):
    r = raw_request(cl, "GET", f"/api/jobs/{sid}")
    return r.json() if r.status == 200 else None


def wait_job(cl, sid, want, limit=120.0):
    t = time.monotonic() + limit
    while time.monotonic() < t:
        j = job_get(cl, sid)
        if j and (j["status"] in want):
            return j
        time.sleep(0.2)
    return job_get(cl, sid)


def submit(cl, sid, entrypoint, **extra):
    body = {"entrypoint": entrypoint, "submission_id": sid, **extra}
    return raw_request(cl, "POST", "/api/jobs/", body)


def trim_list(n=3):
    def f(d):
        if isinstance(d, list) and len(d) > n:
            return d[:n], f"(trimmed: first {n} of {len(d)})"
        return d, ""
    return f


def trim_state(n=3):
    def f(d):
        try:
            res = d["data"]["result"]["result"]
        except (KeyError, TypeError):
            return d, ""
        if isinstance(res, list) and len(res) > n:
            d["data"]["result"]["result"] = res[:n]
            return d, f"(trimmed: first {n} of {len(res)} rows)"
        return d, ""
    return f


def ep(script, args=""):
    return f"{CL.python} {os.path.join(PYDIR, script)}" + (f" {args}" if args else "")


# ---- sections -------------------------------------------------------------------------------
def sec_version(R):
    R.rec("version.json" if R.cl.auth == "disabled" else "version_token.json", "GET", "/api/version")
    R.rec("authentication_mode.json", "GET", "/api/authentication_mode", token=False)
    R.rec("gcs_healthz.txt", "GET", "/api/gcs_healthz", token=False)
    # Before 2.52 the browser guard reads req.headers["User-Agent"]: no header is a KeyError (500).
    R.rec("version_no_user_agent.txt", "GET", "/api/version", headers={"User-Agent": None})


def sec_auth(R):
    if R.cl.auth != "token":
        return
    R.rec("error_auth_missing_token.txt", "GET", "/api/jobs/", token=False)
    R.rec("error_auth_wrong_token.txt", "GET", "/api/jobs/", headers={"Authorization": "Bearer wrong"})
    R.rec("error_auth_version_missing_token.txt", "GET", "/api/version", token=False)
    R.rec("error_auth_state_missing_token.txt", "GET", "/api/v0/nodes", token=False)
    R.rec("error_auth_logs_missing_token.txt", "GET", "/api/v0/logs/file?" + q(node_ip="127.0.0.1", filename="raylet.out"), token=False)
    R.rec("error_auth_serve_missing_token.txt", "GET", "/api/serve/applications/", token=False)
    R.rec("error_auth_packages_missing_token.txt", "GET", "/api/packages/gcs/raycl_nope.zip", token=False)


def sec_jobs(R):
    cl = R.cl
    tag = f"{int(time.time()) % 100000}"
    ok = f"raycl-ok-{tag}"
    r = R.rec("jobs_submit.json", "POST", "/api/jobs/",
              {"entrypoint": ep("job_tasks_and_actor.py", "--lines 5 --sleep 3"), "submission_id": ok,
               "metadata": {"owner": "raycl"}})
    R.rec("jobs_get_pending.json", "GET", f"/api/jobs/{ok}", note="right after submit")
    R.rec("jobs_get_pending_logs.json", "GET", f"/api/jobs/{ok}/logs", note="right after submit")
    j = wait_job(cl, ok, {"RUNNING", "SUCCEEDED", "FAILED", "STOPPED"})
    t = time.monotonic() + 60
    while j and j["status"] == "RUNNING" and not j.get("driver_info") and time.monotonic() < t:
        time.sleep(0.2)
        j = job_get(cl, ok)
    R.rec("jobs_get_running.json", "GET", f"/api/jobs/{ok}", note="RUNNING, driver connected")
    time.sleep(1.5)
    R.rec("jobs_logs_running.json", "GET", f"/api/jobs/{ok}/logs", note="while RUNNING")
    wait_job(cl, ok, {"SUCCEEDED", "FAILED", "STOPPED"})
    R.rec("jobs_get_succeeded.json", "GET", f"/api/jobs/{ok}")
    R.rec("jobs_logs_succeeded.json", "GET", f"/api/jobs/{ok}/logs")
    R.rec("jobs_stop_terminal.json", "POST", f"/api/jobs/{ok}/stop")
    R.rec("error_jobs_submit_duplicate.txt", "POST", "/api/jobs/", {"entrypoint": "echo hi", "submission_id": ok})

    bad = f"raycl-fail-{tag}"
    submit(cl, bad, ep("job_tasks_and_actor.py", "--lines 2 --fail"))
    wait_job(cl, bad, {"SUCCEEDED", "FAILED", "STOPPED"})
    R.rec("jobs_get_failed_exit3.json", "GET", f"/api/jobs/{bad}")
    early = f"raycl-early-{tag}"
    submit(cl, early, "exit 7")
    wait_job(cl, early, {"SUCCEEDED", "FAILED", "STOPPED"})
    R.rec("jobs_get_failed_before_init.json", "GET", f"/api/jobs/{early}", note="entrypoint `exit 7`")

    long = f"raycl-long-{tag}"
    R.rec("jobs_submit_long.json", "POST", "/api/jobs/",
          {"entrypoint": ep("job_tasks_and_actor.py", "--sleep 300"), "submission_id": long})
    j = wait_job(cl, long, {"RUNNING"})
    t = time.monotonic() + 60
    while j and j["status"] == "RUNNING" and not j.get("driver_info") and time.monotonic() < t:
        time.sleep(0.2)
        j = job_get(cl, long)
    R.rec("error_job_delete_running.txt", "DELETE", f"/api/jobs/{long}")
    R.rec("jobs_stop_running.json", "POST", f"/api/jobs/{long}/stop")
    R.rec("jobs_get_right_after_stop.json", "GET", f"/api/jobs/{long}")
    R.rec("jobs_stop_again.json", "POST", f"/api/jobs/{long}/stop")
    wait_job(cl, long, {"STOPPED", "FAILED", "SUCCEEDED"})
    R.rec("jobs_get_stopped.json", "GET", f"/api/jobs/{long}")
    R.rec("jobs_delete_terminal.json", "DELETE", f"/api/jobs/{long}")
    R.rec("error_job_get_after_delete.txt", "GET", f"/api/jobs/{long}")

    # Fields that newer Rays added to the submit request: what does this one do with them?
    for name, extra in (
        ("entrypoint_num_cpus", {"entrypoint_num_cpus": 0.5}),
        ("entrypoint_resources", {"entrypoint_resources": {"raycl_worker_1": 1}}),
        ("entrypoint_memory", {"entrypoint_memory": 1000}),
        ("entrypoint_label_selector", {"entrypoint_label_selector": {"raycl-label": "x"}}),
        ("unknown_field", {"raycl_bogus_field": 1}),
    ):
        sid = f"raycl-field-{name.replace('_', '-')}-{tag}"
        body = {"entrypoint": "echo field", "submission_id": sid, **extra}
        r = R.rec(f"jobs_submit_with_{name}.txt", "POST", "/api/jobs/", body)
        if r.status == 200:
            j = wait_job(cl, sid, {"SUCCEEDED", "FAILED", "STOPPED"}, limit=40)
            R.rec(f"jobs_get_with_{name}.json", "GET", f"/api/jobs/{sid}",
                  note=f"status {j['status'] if j else '?'}")
            if j and j["status"] not in ("SUCCEEDED", "FAILED", "STOPPED"):
                raw_request(cl, "POST", f"/api/jobs/{sid}/stop")
    # A job that can never be scheduled stays PENDING: its HTTP log is an error.
    pend = f"raycl-pending-{tag}"
    submit(cl, pend, "echo never", entrypoint_num_cpus=64)
    time.sleep(1)
    R.rec("jobs_get_pending_unschedulable.json", "GET", f"/api/jobs/{pend}", note="entrypoint_num_cpus=64")
    R.rec("error_logs_stream_job_pending.txt", "GET",
          "/api/v0/logs/stream?" + q(submission_id=pend, node_ip="127.0.0.1", lines=-1), max_time=8, chunks=True)
    R.rec("error_logs_file_job_pending.txt", "GET",
          "/api/v0/logs/file?" + q(submission_id=pend, node_ip="127.0.0.1", lines=-1), max_time=8, chunks=True)
    R.rec("jobs_stop_pending.json", "POST", f"/api/jobs/{pend}/stop")

    R.rec("jobs_list.json", "GET", "/api/jobs/", trim=trim_list(3))
    R.rec("error_jobs_list_no_slash.txt", "GET", "/api/jobs")
    R.rec("error_jobs_submit_no_slash.txt", "POST", "/api/jobs", {"entrypoint": "echo x"})
    R.rec("error_job_not_found.txt", "GET", "/api/jobs/raycl-nope")
    R.rec("error_job_logs_not_found.txt", "GET", "/api/jobs/raycl-nope/logs")
    R.rec("error_job_stop_not_found.txt", "POST", "/api/jobs/raycl-nope/stop")
    R.rec("error_job_delete_not_found.txt", "DELETE", "/api/jobs/raycl-nope")
    R.rec("jobs_submit_no_user_agent.json", "POST", "/api/jobs/", {"entrypoint": "echo ua", "submission_id": f"raycl-ua-{tag}"},
          headers={"User-Agent": None})
    R.rec("error_browser_guard_mozilla.txt", "POST", "/api/jobs/",
          {"entrypoint": "echo browser", "submission_id": f"raycl-browser-{tag}"}, headers={"User-Agent": "Mozilla/5.0"})


async def _ws_frames(cl, sid, limit=90.0):
    import aiohttp

    headers = {"User-Agent": UA}
    if cl.auth == "token" and cl.token:
        headers["Authorization"] = f"Bearer {cl.token}"
    t0 = time.monotonic()
    out = []
    async with aiohttp.ClientSession() as s:
        try:
            ws = await s.ws_connect(f"{cl.address}/api/jobs/{sid}/logs/tail", headers=headers)
        except aiohttp.WSServerHandshakeError as e:
            return [{"handshake_error": e.status, "message": e.message}]
        try:
            while True:
                left = limit - (time.monotonic() - t0)
                if left <= 0:
                    out.append({"t": round(time.monotonic() - t0, 2), "stopped_reading": True})
                    await ws.close()
                    break
                try:
                    msg = await ws.receive(timeout=left)
                except asyncio.TimeoutError:
                    continue
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    break
                d = msg.data if isinstance(msg.data, str) else repr(msg.data)
                out.append({"t": round(time.monotonic() - t0, 2), "type": msg.type.name, "len": len(d),
                            "lines": d.count("\n"), "data": d})
        finally:
            out.append({"t": round(time.monotonic() - t0, 2), "closed": True, "close_code": ws.close_code})
    return out


def _save_frames(R, name, sid, frames, note):
    data = "".join(json.dumps(f) + "\n" for f in frames)
    R.save(name, R.redact(data), f"GET /api/jobs/{sid}/logs/tail (WebSocket)", 101 if "handshake_error" not in frames[0]
           else frames[0]["handshake_error"], "(frames, one JSON line each)", note)


def sec_tail(R):
    cl = R.cl
    sid = f"raycl-known-{int(time.time()) % 100000}"
    submit(cl, sid, ep("known_output_job.py"))
    wait_job(cl, sid, {"RUNNING", "SUCCEEDED", "FAILED"})
    frames = asyncio.run(_ws_frames(cl, sid))
    text = "".join(f.get("data", "") for f in frames)
    _save_frames(R, "ws_tail_known_output.jsonl", sid, frames, f"connected while RUNNING; {len(frames) - 1} frames")
    wait_job(cl, sid, {"SUCCEEDED", "FAILED", "STOPPED"})
    r = R.rec("jobs_logs_known_output.json", "GET", f"/api/jobs/{sid}/logs", note="static log of the tailed job")
    static = r.json()["logs"] if r.status == 200 else None
    R.notes.append(f"tail: WebSocket text {'==' if text == static else '!='} static log "
                   f"({len(text.encode())} vs {len((static or '').encode())} bytes)")
    frames = asyncio.run(_ws_frames(cl, sid, limit=30))
    _save_frames(R, "ws_tail_terminal_job.jsonl", sid, frames, "connected after SUCCEEDED")
    frames = asyncio.run(_ws_frames(cl, "raycl-nope", limit=10))
    _save_frames(R, "error_ws_tail_unknown_job.jsonl", "raycl-nope", frames, "unknown job")
    R.rec("error_ws_tail_unknown_job.txt", "GET", "/api/jobs/raycl-nope/logs/tail",
          headers={"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, max_time=10)
    with open(known_job_file(R), "w") as f:
        f.write(sid)


def known_job_file(R):
    """Where the tail section leaves its job's id for the logs section (outside the fixtures)."""
    return f"/tmp/raycl-recorder-{R.cl.port}.known_job"


def node_ids(cl):
    r = raw_request(cl, "GET", "/api/v0/nodes?detail=true")
    rows = r.json()["data"]["result"]["result"]
    head = [n for n in rows if n.get("is_head_node")] or rows
    return head[0]["node_id"], [n["node_id"] for n in rows]


def sec_logs(R):
    cl = R.cl
    try:
        sid = open(known_job_file(R)).read().strip()
    except OSError:
        sid = f"raycl-known-{int(time.time()) % 100000}"
        submit(cl, sid, ep("known_output_job.py"))
    j = wait_job(cl, sid, {"SUCCEEDED", "FAILED", "STOPPED"})
    head, _ = node_ids(cl)
    driver = (j or {}).get("driver_node_id") or head
    L = "/api/v0/logs/"
    R.rec("error_logs_file_submission_id_only.txt", "GET", L + "file?" + q(submission_id=sid, lines=-1), chunks=True)
    R.rec("logs_file_job_all.txt", "GET", L + "file?" + q(submission_id=sid, node_id=driver, lines=-1), chunks=True,
          note="known_output_job.py, node_id = driver node")
    R.rec("logs_file_job_node_ip.txt", "GET", L + "file?" + q(submission_id=sid, node_ip="127.0.0.1", lines=-1),
          chunks=True)
    R.rec("logs_file_job_bogus_node_id.txt", "GET", L + "file?" + q(submission_id=sid, node_id="ab" * 28, lines=-1),
          chunks=True, note="node_id of no node")
    R.rec("logs_file_job_default_lines.txt", "GET", L + "file?" + q(submission_id=sid, node_id=driver), chunks=True)
    R.rec("logs_file_lines3.txt", "GET", L + "file?" + q(submission_id=sid, node_id=driver, lines=3), chunks=True)
    R.rec("logs_file_job_format_text.txt", "GET", L + "file?" + q(submission_id=sid, node_id=driver, lines=-1,
                                                                  format="text"), chunks=True)
    R.rec("logs_file_job_format_leading_1.txt", "GET", L + "file?" + q(submission_id=sid, node_id=driver, lines=-1,
                                                                       format="leading_1"), chunks=True)
    R.rec("logs_file_job_format_bogus.txt", "GET", L + "file?" + q(submission_id=sid, node_id=driver, lines=-1,
                                                                   format="bogus"), chunks=True)
    R.rec("error_logs_file_unknown_submission.txt", "GET",
          L + "file?" + q(submission_id="raycl-nope", node_id=driver, lines=-1), chunks=True)
    R.rec("error_logs_file_unknown_submission_format_text.txt", "GET",
          L + "file?" + q(submission_id="raycl-nope", node_id=driver, lines=-1, format="text"), chunks=True)
    R.rec("error_logs_file_missing_file.txt", "GET", L + "file?" + q(node_id=head, filename="raycl-no-such.log"),
          chunks=True)
    R.rec("error_logs_file_missing_file_format_text.txt", "GET",
          L + "file?" + q(node_id=head, filename="raycl-no-such.log", format="text"), chunks=True)
    R.rec("error_logs_file_no_identifier.txt", "GET", L + "file?" + q(node_id=head), chunks=True)
    R.rec("error_logs_bad_media_type.txt", "GET", L + "bogus?" + q(node_id=head, filename="raylet.out"))
    R.rec("logs_file_node_raylet_lines3.txt", "GET", L + "file?" + q(node_id=head, filename="raylet.out", lines=3),
          chunks=True)
    R.rec("logs_file_node_ip_raylet_lines3.txt", "GET",
          L + "file?" + q(node_ip="127.0.0.1", filename="raylet.out", lines=3), chunks=True)
    R.rec("logs_stream_job.txt", "GET", L + "stream?" + q(submission_id=sid, node_id=driver, lines=-1, interval=0.5),
          max_time=6, chunks=True, note="terminal job")
    R.rec("logs_stream_job_format_text.txt", "GET",
          L + "stream?" + q(submission_id=sid, node_id=driver, lines=-1, interval=0.5, format="text"), max_time=6,
          chunks=True, note="terminal job")
    R.rec("error_logs_stream_unknown_submission.txt", "GET",
          L + "stream?" + q(submission_id="raycl-nope", node_id=driver, lines=-1), max_time=8, chunks=True)
    R.rec("error_logs_stream_unknown_submission_format_text.txt", "GET",
          L + "stream?" + q(submission_id="raycl-nope", node_id=driver, lines=-1, format="text"), max_time=8,
          chunks=True)
    # A running job printing lines: several chunks, each with its own leading byte (if any).
    slow = f"raycl-slow-{int(time.time()) % 100000}"
    submit(cl, slow, ep("slow_printer_job.py", "12 0.5"))
    j = wait_job(cl, slow, {"RUNNING"})
    dn = (j or {}).get("driver_node_id") or head
    R.rec("logs_stream_running_job.txt", "GET", L + "stream?" + q(submission_id=slow, node_id=dn, lines=-1, interval=0.2),
          max_time=10, chunks=True, note=f"job `{slow}` running slow_printer_job.py")
    # Task and actor logs of resident_job.py's workers, once the state section started it.
    wait_job(cl, slow, {"SUCCEEDED", "FAILED", "STOPPED"})
    R.rec("logs_list.json", "GET", "/api/v0/logs?" + q(node_id=head), note="head node")
    R.rec("logs_list_glob_raylet.json", "GET", "/api/v0/logs?" + q(node_id=head, glob="raylet*"))
    R.rec("logs_list_node_ip.json", "GET", "/api/v0/logs?" + q(node_ip="127.0.0.1", glob="gcs*"))
    R.rec("error_logs_list_no_node.json", "GET", "/api/v0/logs")
    R.rec("error_logs_list_unknown_ip.json", "GET", "/api/v0/logs?" + q(node_ip="10.99.99.99"))
    R.rec("logs_list_submission_id.json", "GET", "/api/v0/logs?" + q(node_id=head, submission_id=sid),
          note="submission_id on the list route")


def resident(cl):
    sid = "raycl-resident"
    j = job_get(cl, sid)
    if not j or j["status"] != "RUNNING":
        if j:
            raw_request(cl, "DELETE", f"/api/jobs/{sid}")
        submit(cl, sid, f"{cl.python} {os.path.join(HERE, 'resident_job.py')} --sleep 240")
    t = time.monotonic() + 120
    while time.monotonic() < t:
        r = raw_request(cl, "GET", f"/api/jobs/{sid}/logs")
        if r.status == 200 and "raycl resident: ready" in r.json().get("logs", ""):
            return sid
        time.sleep(0.5)
    return sid


def first_row(cl, path, key, pred=None):
    r = raw_request(cl, "GET", path)
    try:
        rows = r.json()["data"]["result"]["result"]
    except Exception:  # noqa: BLE001
        return None
    for row in rows:
        if pred is None or pred(row):
            return row.get(key)
    return None


def sec_state(R):
    cl = R.cl
    sid = resident(cl)
    S = "/api/v0/"
    for res in ("nodes", "tasks", "actors", "objects", "placement_groups", "workers", "runtime_envs",
                "cluster_events", "jobs"):
        R.rec(f"state_{res}.json", "GET", S + res, trim=trim_state(3))
        R.rec(f"state_{res}_detail.json", "GET", S + res + "?" + q(detail="true"), trim=trim_state(2))
    R.rec("state_tasks_limit1.json", "GET", S + "tasks?limit=1")
    R.rec("state_tasks_limit_10000.json", "GET", S + "tasks?limit=10000", trim=trim_state(1))
    R.rec("error_state_tasks_limit_10001.json", "GET", S + "tasks?limit=10001")
    R.rec("state_tasks_filter_name_limit1.json", "GET",
          S + "tasks?" + q(filter_keys="name", filter_predicates="=", filter_values="square", limit=1))
    R.rec("state_tasks_filter_name_lowercase.json", "GET",
          S + "tasks?" + q(filter_keys="name", filter_predicates="=", filter_values="SQUARE"), trim=trim_state(1))
    R.rec("state_tasks_filter_ne_limit1.json", "GET",
          S + "tasks?" + q(filter_keys="name", filter_predicates="!=", filter_values="square", limit=1))
    R.rec("state_tasks_filter_state_finished.json", "GET",
          S + "tasks?" + q(filter_keys="state", filter_predicates="=", filter_values="FINISHED", limit=1))
    R.rec("state_tasks_filter_job_id.json", "GET",
          S + "tasks?" + q(filter_keys="job_id", filter_predicates="=", filter_values="01000000", limit=1))
    R.rec("state_tasks_filter_nomatch.json", "GET",
          S + "tasks?" + q(filter_keys="task_id", filter_predicates="=", filter_values="ab" * 24))
    R.rec("error_state_tasks_unknown_filter_key.json", "GET",
          S + "tasks?" + q(filter_keys="bogus_col", filter_predicates="=", filter_values="x"))
    R.rec("error_state_bad_predicate.json", "GET",
          S + "tasks?" + q(filter_keys="name", filter_predicates=">", filter_values="x"))
    R.rec("error_state_tasks_filter_malformed_id.json", "GET",
          S + "tasks?" + q(filter_keys="task_id", filter_predicates="=", filter_values="ffff"))
    R.rec("error_state_nodes_filter_malformed_id.json", "GET",
          S + "nodes?" + q(filter_keys="node_id", filter_predicates="=", filter_values="bogus"))
    R.rec("state_nodes_filter_unknown_id.json", "GET",
          S + "nodes?" + q(filter_keys="node_id", filter_predicates="=", filter_values="ab" * 28))
    R.rec("state_actors_filter_class_limit1.json", "GET",
          S + "actors?" + q(filter_keys="class_name", filter_predicates="=", filter_values="Keeper", limit=1))
    R.rec("state_actors_filter_state_lowercase.json", "GET",
          S + "actors?" + q(filter_keys="state", filter_predicates="=", filter_values="alive"), trim=trim_state(2))
    R.rec("state_workers_exclude_driver_false.json", "GET", S + "workers?" + q(exclude_driver="false"),
          trim=trim_state(2))
    R.rec("state_jobs_filter_submission_id.json", "GET",
          S + "jobs?" + q(filter_keys="submission_id", filter_predicates="=", filter_values=sid))
    R.rec("error_state_tasks_by_id_route.txt", "GET", S + "tasks/" + "ab" * 24)
    R.rec("error_state_unknown_resource.txt", "GET", S + "bogus_resources")
    R.rec("state_timeout_1.json", "GET", S + "nodes?timeout=1", trim=trim_state(1))
    for res in ("tasks", "actors", "objects"):
        R.rec(f"state_{res}_summarize.json", "GET", S + f"{res}/summarize")
    R.rec("error_state_summarize_unknown.txt", "GET", S + "nodes/summarize")
    # Logs of a task and an actor of the resident job (filled by the logs section's layout).
    task_id = first_row(cl, S + "tasks?" + q(filter_keys="name", filter_predicates="=", filter_values="square"),
                        "task_id")
    actor_id = first_row(cl, S + "actors?" + q(filter_keys="class_name", filter_predicates="=", filter_values="Keeper"),
                         "actor_id")
    L = "/api/v0/logs/"
    if task_id:
        R.rec("logs_file_task.txt", "GET", L + "file?" + q(task_id=task_id, lines=-1), chunks=True,
              note="task `square` of resident_job.py")
        R.rec("logs_file_task_err.txt", "GET", L + "file?" + q(task_id=task_id, suffix="err", lines=-1), chunks=True)
        R.rec("logs_file_task_format_text.txt", "GET", L + "file?" + q(task_id=task_id, lines=-1, format="text"),
              chunks=True)
    R.rec("error_logs_file_unknown_task.txt", "GET", L + "file?" + q(task_id="ab" * 24, lines=-1), chunks=True)
    if actor_id:
        R.rec("logs_file_actor.txt", "GET", L + "file?" + q(actor_id=actor_id, lines=-1), chunks=True,
              note="actor Keeper of resident_job.py")
        R.rec("logs_stream_actor.txt", "GET", L + "stream?" + q(actor_id=actor_id, lines=-1, interval=0.5),
              max_time=4, chunks=True)
    R.rec("error_logs_file_unknown_actor.txt", "GET", L + "file?" + q(actor_id="ab" * 16, lines=-1), chunks=True)


def sec_status(R):
    R.rec("cluster_status.json", "GET", "/api/cluster_status")
    R.rec("cluster_status_format0.json", "GET", "/api/cluster_status?format=0")
    R.rec("cluster_status_format1.json", "GET", "/api/cluster_status?format=1")


def serve_config(apps):
    return {"proxy_location": "EveryNode", "http_options": {"host": "127.0.0.1", "port": CL.serve_port},
            "applications": apps}


ECHO = {"name": "echo", "route_prefix": "/echo", "import_path": "raycl_serve_fixture:echo_app"}
HELLO = {"name": "hello", "route_prefix": "/hello", "import_path": "raycl_serve_fixture:hello_app"}


def wait_serve(cl, pred, limit=90.0):
    t = time.monotonic() + limit
    d = None
    while time.monotonic() < t:
        r = raw_request(cl, "GET", "/api/serve/applications/")
        if r.status == 200:
            d = r.json()
            if pred(d):
                return d
        time.sleep(0.5)
    return d


def running(names):
    def f(d):
        apps = d.get("applications") or {}
        return all(apps.get(n, {}).get("status") == "RUNNING" for n in names)
    return f


def sec_serve(R):
    cl = R.cl
    A = "/api/serve/applications/"
    R.rec("serve_get_not_running.json", "GET", A)
    R.rec("serve_deployments_get_not_running.txt", "GET", "/api/serve/deployments/", note="single-app route")
    R.rec("serve_deployments_status_not_running.txt", "GET", "/api/serve/deployments/status")
    R.rec("error_serve_get_no_slash.txt", "GET", "/api/serve/applications")
    R.rec("error_serve_get_api_type_bogus.txt", "GET", A + "?api_type=bogus")
    t0 = time.monotonic()
    r = R.rec("serve_put_two_apps.txt", "PUT", A, serve_config([ECHO, HELLO]), max_time=120)
    put_s = time.monotonic() - t0
    R.rec("serve_get_deploying.json", "GET", A, note=f"right after the PUT (PUT took {put_s:.1f} s)")
    if r.status != 200:
        R.notes.append(f"serve: PUT two apps -> {r.status}")
    d = wait_serve(cl, running(["echo", "hello"]))
    R.rec("serve_get_running.json", "GET", A, note="both apps RUNNING" if d and running(["echo", "hello"])(d) else "not RUNNING in 90 s")
    for path, name in (("/echo/abc", "serve_proxy_echo.txt"), ("/hello", "serve_proxy_hello.txt")):
        try:
            s = socket.create_connection(("127.0.0.1", cl.serve_port), timeout=10)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            buf = b""
            while True:
                got = s.recv(65536)
                if not got:
                    break
                buf += got
            s.close()
            head, _, body = buf.partition(b"\r\n\r\n")
            R.save(name, body, f"GET http://127.0.0.1:<serve port>{path} (Serve proxy)", head.split()[1].decode(),
                   "", "")
        except OSError as e:
            R.notes.append(f"serve proxy {path}: {e}")
    R.rec("serve_get_api_type_declarative.json", "GET", A + "?api_type=declarative")
    R.rec("serve_get_api_type_imperative.json", "GET", A + "?api_type=imperative")
    R.rec("serve_deployments_get_running.txt", "GET", "/api/serve/deployments/")
    R.rec("serve_deployments_status_running.txt", "GET", "/api/serve/deployments/status")
    R.rec("serve_put_one_app.txt", "PUT", A, serve_config([ECHO]), max_time=120)
    d = wait_serve(cl, lambda d: "hello" not in (d.get("applications") or {}) and running(["echo"])(d))
    R.rec("serve_get_after_removing_hello.json", "GET", A)
    R.rec("error_serve_put_missing_import_path.txt", "PUT", A, {"applications": [{"name": "x", "route_prefix": "/x"}]})
    R.rec("error_serve_put_not_json.txt", "PUT", A, b"not json")
    R.rec("serve_put_empty_applications.txt", "PUT", A, serve_config([]), max_time=120)
    wait_serve(cl, lambda d: not d.get("applications"), limit=30)
    R.rec("serve_get_after_put_empty.json", "GET", A)
    R.rec("serve_delete.txt", "DELETE", A, max_time=120)
    R.rec("serve_get_after_delete.json", "GET", A)
    R.rec("serve_delete_again.txt", "DELETE", A, max_time=60)


def sec_packages(R):
    P = "/api/packages/gcs/"
    name = f"_ray_pkg_raycl{int(time.time()) % 100000:05d}0000000.zip"
    R.rec("error_packages_get_unknown.txt", "GET", P + "_ray_pkg_0000000000000000.zip")
    mem = io.BytesIO()
    with zipfile.ZipFile(mem, "w") as z:
        z.writestr("raycl_pkg/hello.txt", "hello\n")
    data = mem.getvalue()
    R.rec("packages_put.txt", "PUT", P + name, data, headers={"Content-Type": "application/octet-stream"},
          note=f"{len(data)}-byte zip")
    R.rec("packages_get_after_put.txt", "GET", P + name)
    R.rec("packages_put_again.txt", "PUT", P + name, data, headers={"Content-Type": "application/octet-stream"})
    R.rec("error_packages_bad_protocol.txt", "GET", "/api/packages/s3/x.zip")


# Serve first, on a fresh cluster: Ray 2.38-2.45 raylets can crash (worker_pool.cc RAY_CHECK on the
# job id, ray-project/ray#52090) when the detached Serve controller's tasks meet idle workers of a
# running job, which the later sections leave behind (resident_job.py).
SECTIONS = {"version": sec_version, "auth": sec_auth, "serve": sec_serve, "packages": sec_packages,
            "status": sec_status, "jobs": sec_jobs, "tail": sec_tail, "logs": sec_logs, "state": sec_state}


def main():
    global CL
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", required=True, help="cluster env file (scripts/ray-cluster.sh up prints it)")
    ap.add_argument("--out", help="output dir (default test/fixtures/ray/<ray version>[/token])")
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    a = ap.parse_args()
    CL = Cluster(a.env)
    v = raw_request(CL, "GET", "/api/version")
    if v.status != 200:
        sys.exit(f"GET /api/version -> {v.status}: {v.body[:200]!r}")
    version = v.json()["ray_version"]
    # A token-mode recording goes beside the auth-disabled one, so neither overwrites the other.
    out = a.out or os.path.join(REPO, "test", "fixtures", "ray", version, *(["token"] if CL.auth == "token" else []))
    R = Recorder(CL, out, version)
    print(f"recording Ray {version} ({CL.auth} auth) into {out}", flush=True)
    for s in a.only.split(","):
        print(f"[{s}]", flush=True)
        t = time.monotonic()
        try:
            SECTIONS[s](R)
        except Exception as e:  # noqa: BLE001 - one broken section must not lose the others
            R.notes.append(f"section {s} failed: {type(e).__name__}: {e}")
            print(f"  section {s} FAILED: {type(e).__name__}: {e}", flush=True)
        print(f"  ({time.monotonic() - t:.1f} s)", flush=True)
        R.write_index()  # after every section: an interrupted run keeps its index
    for n in R.notes:
        print("note:", n)
    with open(os.path.join(out, "notes.txt"), "a") as f:
        for n in R.notes:
            f.write(f"{CL.auth}: {n}\n")


CL = None
if __name__ == "__main__":
    main()
