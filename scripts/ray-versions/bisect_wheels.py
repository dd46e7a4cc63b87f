"""Which Ray release first has X: greps each wheel's python sources (the bisect behind docs/ray-versions.md).

  mkdir -p /tmp/ray-wheels && for v in 2.9.3 2.10.0 ...; do pip download --no-deps -q ray==$v -d /tmp/ray-wheels; done
  python3 scripts/ray-versions/bisect_wheels.py [/tmp/ray-wheels]

Also reads the installed venvs in ~/.cache/raycl. Prints, per marker (file + regex), the first
release that matches and a Y/n/- row over all releases ('-' = file absent), then the dataclass
fields (jobs, state, Serve schemas) that appeared or vanished inside the range.
"""
import ast, glob, re, sys, zipfile
WHEELS = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ray-wheels"
MARKERS = [
  ("logs format= param", "ray/dashboard/modules/state/state_head.py", r"leading_1"),
  ("logs HTTP 500 on error", "ray/dashboard/modules/state/state_head.py", r"HTTPInternalServerError\(text=str\(e\)\)"),
  ("logs leading 1 on chunks", "ray/dashboard/modules/state/state_head.py", r'b"1"|"1" \+|b"1" \+'),
  ("GetLogOptions.submission_id", "ray/util/state/common.py", r"submission_id: Optional\[str\]"),
  ("GetLogOptions.download_filename", "ray/util/state/common.py", r"download_filename"),
  ("filter_ansi_code", "ray/dashboard/modules/state/state_head.py", r"filter_ansi_code"),
  ("JobSubmitRequest.entrypoint_memory", "ray/dashboard/modules/job/common.py", r"entrypoint_memory: "),
  ("JobSubmitRequest.entrypoint_label_selector", "ray/dashboard/modules/job/common.py", r"entrypoint_label_selector"),
  ("JobInfo.driver_exit_code", "ray/dashboard/modules/job/common.py", r"driver_exit_code"),
  ("job log line 'Runtime env is setting up.'", "ray/dashboard/modules/job/job_manager.py", r"Runtime env is setting up"),
  ("job log line 'Running entrypoint for job'", "ray/dashboard/modules/job/job_supervisor.py", r"Running entrypoint for job"),
  ("job log line 'Running entrypoint for job' (manager)", "ray/dashboard/modules/job/job_manager.py", r"Running entrypoint for job"),
  ("/api/version session_name", "ray/dashboard/modules/version/version_head.py", r"session_name"),
  ("/api/version session_name (head)", "ray/dashboard/http_server_head.py", r"session_name"),
  ("browser guard (405)", "ray/dashboard/optional_utils.py", r"browser traffic"),
  ("browser guard in http_server_head", "ray/dashboard/http_server_head.py", r"browser"),
  ("state API 400 BAD_REQUEST", "ray/dashboard/state_api_utils.py", r"BAD_REQUEST"),
  ("token auth module", "ray/_private/authentication/authentication_utils.py", r"."),
  ("/api/authentication_mode", "ray/dashboard/http_server_head.py", r"authentication_mode"),
  ("Serve REST in serve_head.py", "ray/dashboard/modules/serve/serve_head.py", r'"/api/serve/applications/"'),
  ("Serve api_type", "ray/dashboard/modules/serve/serve_head.py", r"api_type"),
  ("Serve api_type (impl)", "ray/dashboard/modules/serve/serve_rest_api_impl.py", r"api_type"),
  ("WS tail via head websocket resp_type", "ray/dashboard/modules/job/job_head.py", r"ResponseType.WEBSOCKET"),
  ("cluster_status format", "ray/dashboard/modules/reporter/reporter_head.py", r'get\("format", "0"\)'),
  ("state tasks summarize lineage", "ray/dashboard/modules/state/state_head.py", r"summary_by"),
  ("state runtime_env_redaction", "ray/dashboard/modules/state/state_head.py", r"runtime_env_redaction"),
  ("ListApiOptions.exclude_driver", "ray/util/state/common.py", r"exclude_driver"),
  ("JobDetails driver_node_id", "ray/dashboard/modules/job/pydantic_models.py", r"driver_node_id"),
  ("/api/jobs/ list via head (no agent)", "ray/dashboard/modules/job/job_head.py", r"async def list_jobs"),
  ("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "ray/_private/ray_constants.py", r"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"),
  ("package routes", "ray/dashboard/modules/job/job_head.py", r"/api/packages/\{protocol\}/\{package_name\}"),
  ("Serve app 'source' (APIType)", "ray/serve/schema.py", r"source: APIType"),
  ("Serve 'deploy_mode' in details", "ray/serve/schema.py", r"deploy_mode"),
  ("Serve target_groups", "ray/serve/schema.py", r"target_groups"),
  ("Serve external_scaler_enabled", "ray/serve/schema.py", r"external_scaler_enabled"),
  ("Serve deployment_topology", "ray/serve/schema.py", r"deployment_topology"),
  ("Serve controller_health_metrics", "ray/serve/schema.py", r"controller_health_metrics"),
  ("Serve 501 when not installed (head)", "ray/dashboard/modules/serve/serve_head.py", r"status=501"),
  ("Serve 501 (impl)", "ray/dashboard/modules/serve/serve_rest_api_impl.py", r"status=501"),
  ("JobDetails retry/attempt fields", "ray/dashboard/modules/job/pydantic_models.py", r"attempt_number|retry"),
  ("state API 'total' counter", "ray/util/state/common.py", r"num_after_truncation"),
  ("state 'num_filtered'", "ray/util/state/common.py", r"num_filtered"),
  ("state cluster_events route", "ray/dashboard/modules/state/state_head.py", r"/api/v0/cluster_events"),
  ("tasks summarize summary_by", "ray/util/state/common.py", r"summary_by"),
  ("logs list submission_id", "ray/dashboard/modules/state/state_head.py", r"def list_logs[\s\S]{0,800}submission_id"),
  ("job head serves logs/tail itself (no agent proxy)", "ray/dashboard/modules/job/job_head.py", r"def tail_job_logs"),
  ("JobSubmitRequest in pydantic/dataclass", "ray/dashboard/modules/job/common.py", r"class JobSubmitRequest"),
  ("user-agent KeyError guard", "ray/dashboard/optional_utils.py", r'headers\.get\("User-Agent"'),
]
def key(v): return tuple(int(x) for x in v.split("."))
wheels = {}
for p in glob.glob(WHEELS + "/ray-*.whl"):
    v = p.split("/")[-1].split("-")[1]
    wheels[v] = p
for d in glob.glob("/root/.cache/raycl/venv-*/lib/python3.11/site-packages"):
    for di in glob.glob(d + "/ray-*.dist-info"):
        v = di.split("/ray-")[-1][:-len(".dist-info")]
        wheels.setdefault(v, d)
vers = sorted(wheels, key=key)
def read(src, path):
    if src.endswith(".whl"):
        try:
            with zipfile.ZipFile(src) as z:
                return z.read(path).decode(errors="replace")
        except KeyError:
            return None
    try:
        return open(src + "/" + path, errors="replace").read()
    except OSError:
        return None
print("versions:", " ".join(vers))
for name, path, rx in MARKERS:
    row = []
    for v in vers:
        t = read(wheels[v], path)
        row.append("-" if t is None else ("Y" if re.search(rx, t) else "n"))
    firsts = [v for v, r in zip(vers, row) if r == "Y"]
    print(f"{name:48s} first={firsts[0] if firsts else 'none':8s} {''.join(row)}")

TARGETS = [("ray/dashboard/modules/job/common.py", "JobSubmitRequest"), ("ray/dashboard/modules/job/common.py", "JobInfo"),
           ("ray/dashboard/modules/job/pydantic_models.py", "JobDetails"), ("ray/util/state/common.py", "GetLogOptions"),
           ("ray/util/state/common.py", "ListApiOptions")] + [("ray/util/state/common.py", c) for c in
           ("ActorState","PlacementGroupState","NodeState","WorkerState","ClusterEventState","TaskState","ObjectState","RuntimeEnvState")] + \
           [("ray/serve/schema.py", c) for c in ("ApplicationDetails", "ServeInstanceDetails", "DeploymentDetails", "ServeApplicationSchema", "ServeDeploySchema")]
print()
first = {}
for v in vers:
    cache = {}
    for path, cls in TARGETS:
        t = cache.get(path) or read(wheels[v], path)
        cache[path] = t
        if not t: continue
        for n in ast.walk(ast.parse(t)):
            if isinstance(n, ast.ClassDef) and n.name == cls:
                for b in n.body:
                    if isinstance(b, ast.AnnAssign) and isinstance(b.target, ast.Name):
                        first.setdefault((cls, b.target.id), [v, v])[1] = v
for (cls, f), (a, b) in sorted(first.items()):
    if a != vers[0] or b != vers[-1]:
        print(f"{cls}.{f}: {a}..{b}")
