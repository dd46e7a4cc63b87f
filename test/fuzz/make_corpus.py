#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (test/fuzz/corpus/<target>/) from the recorded
real-Ray responses in test/fixtures/ray/. Deterministic; rerun after adding fixtures.
Each seed is named seed-<what>; files named crash-* (reproducers of fixed bugs) are kept.
Input layouts (the first bytes are control bytes) are documented in each target's .cpp."""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[2]
fixtures = root / "test" / "fixtures" / "ray"
corpus = root / "test" / "fuzz" / "corpus"
MAX_SEED = 4096  # libFuzzer's default -max_len for a small corpus; bigger seeds are trimmed


def fixture(name):
    return (fixtures / name).read_bytes()


def write(target, name, data):
    directory = corpus / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ("seed-" + name)).write_bytes(data[:MAX_SEED])


def write_all(target, seeds):
    for name, data in seeds.items():
        write(target, name, data)


def clear_seeds():
    for path in corpus.glob("*/seed-*"):
        path.unlink()


def log_texts():
    """Real job logs: the HTTP stream sample, the static log, WebSocket frames, the file API."""
    texts = {
        "stream_sample": fixture("logs_stream_sample.txt"),
        "file_lines3": fixture("logs_file_lines3.txt"),
        "static_log": json.loads(fixture("jobs_logs_succeeded.json"))["logs"].encode(),
    }
    frames = [json.loads(line).get("data", "") for line in fixture("ws_tail_running_job_sample.jsonl").splitlines() if line.strip()]
    texts["ws_frames"] = "".join(frames).encode()
    texts["utf8_long"] = ("é€😀" * 40 + "\n" + "x" * 300 + "\nend").encode()
    texts["no_newline"] = b"a line without its newline"
    texts["crlf_empty_lines"] = b"one\r\n\n\ntwo\r\n"
    return texts


def line_assembler():
    # policy|gap, max_message_size, max_lines, max_bytes, max_messages, seed lo, seed hi, frame scale
    configs = [
        ("split_default", bytes([0, 128 + 64, 255, 255, 255, 1, 0, 63])),
        ("split_small", bytes([0, 7, 255, 255, 255, 2, 0, 15])),
        ("truncate_small", bytes([1, 9, 255, 255, 255, 3, 0, 31])),
        ("fail_mid", bytes([2, 128 + 6, 255, 255, 255, 4, 0, 200])),
        ("limits", bytes([0x80, 20, 12, 40, 30, 5, 0, 9])),
    ]
    for text_name, text in log_texts().items():
        for config_name, header in configs:
            write("line_assembler", f"{text_name}-{config_name}", header + text)


def http_response(body, status="200 OK", chunk=None, content_type=b"text/plain"):
    head = f"HTTP/1.1 {status}\r\n".encode() + b"Content-Type: " + content_type + b"\r\n"
    if chunk is None:
        return head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    out = head + b"Transfer-Encoding: chunked\r\n\r\n"
    for i in range(0, len(body), chunk):
        piece = body[i:i + chunk]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def http_stream():
    # piece size, chunk buffer size, oversize policy, max_message_size
    header = bytes([7, 31, 0, 64])
    logs = log_texts()
    write("http_stream", "chunked_stream", header + http_response(logs["stream_sample"][:2000], chunk=97))
    write("http_stream", "chunked_1", header + http_response(b"a\nbc\n\xc3\xa9\nd", chunk=1))
    write("http_stream", "length_static", bytes([200, 255, 1, 10]) + http_response(logs["file_lines3"]))
    write("http_stream", "chunk_ext_trailer", header +
          b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nab\ncd\r\n0\r\nX-Trailer: t\r\n\r\n")
    write("http_stream", "eof_body", header + b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nline one\nline two")
    write("http_stream", "error_404", header + http_response(fixture("error_job_logs_not_found.txt"), "404 Not Found"))
    write("http_stream", "error_500", header + http_response(fixture("error_logs_stream_job_pending.txt"),
                                                             "500 Internal Server Error", chunk=50))
    # Ray <= 2.44: a status byte per chunk (bit 7 of the policy byte), the chunks as Ray wrote them.
    framed = bytes([5, 31, 0x80, 64])
    for version, name in [("2.44.1", "logs_stream_running_job.txt"), ("2.9.3", "logs_stream_running_job.txt"),
                          ("2.44.1", "error_logs_stream_unknown_submission.txt"), ("2.32.0", "logs_file_lines3.txt")]:
        body = fixture(f"{version}/{name}")
        sizes = [c["size"] for c in json.loads(fixture(f"{version}/{name}.chunks.json"))]
        out = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        at = 0
        for size in sizes:
            out += f"{size:x}\r\n".encode() + body[at:at + size] + b"\r\n"
            at += size
        write("http_stream", f"leading_byte_{version}_{name.removesuffix('.txt')}", framed + out + b"0\r\n\r\n")
    # An in-band error after log chunks, and a chunk without its status byte (a proxy re-chunked).
    write("http_stream", "leading_byte_error_after_data", framed + http_chunks(
        [b"1tick 0\n", b"1tick 1\n", b"0Closing HTTP stream due to internal server error.\nFile gone."]))
    write("http_stream", "leading_byte_rechunked", framed + http_chunks([b"1tick 0\ntick", b" 1\n"]))


JSON_DECODERS = {  # selector byte (target's dispatch table) -> fixtures
    0: ["version.json", "version_disabled.json"],
    1: ["jobs_get_failed.json", "jobs_get_pending.json", "jobs_get_running.json", "jobs_get_stopped.json",
        "jobs_get_succeeded.json", "jobs_get_failed_exit3.json"],
    2: ["jobs_list.json"],
    3: ["jobs_logs_succeeded.json"],
    4: ["jobs_stop_running.json", "jobs_stop_terminal.json"],
    5: ["jobs_delete_terminal.json"],
    6: ["jobs_submit.json", "jobs_submit_ok2.json"],
    7: ["state_nodes.json", "state_nodes_detail.json", "state_nodes_filter_unknown_id.json",
        "error_state_nodes_filter_malformed_id.json", "error_state_bad_predicate.json"],
    8: ["state_tasks.json", "state_tasks_limit1.json", "state_tasks_filter_task_id.json",
        "error_state_tasks_limit_10001.json", "error_state_tasks_unknown_filter_key.json"],
    9: ["state_actors.json", "state_actors_limit1.json", "state_actors_filter_state_dead_limit1.json"],
    10: ["serve_get_running.json", "serve_get_mixed.json", "serve_get_deploying.json",
         "serve_get_not_running.json", "serve_get_after_validation_errors.json", "serve_get_mixed_declarative.json"],
    14: ["state_objects.json", "state_objects_filter_pid.json", "error_state_objects_unknown_filter_key.json"],
    15: ["state_placement_groups.json", "state_placement_groups_detail.json"],
    16: ["state_workers.json", "state_workers_detail.json", "state_workers_filter_pid.json"],
    17: ["state_runtime_envs.json", "state_runtime_envs_detail.json"],
    18: ["state_cluster_events.json", "state_cluster_events_detail.json"],
    19: ["state_tasks_summarize_func_name.json", "state_tasks_summarize_lineage.json",
         "state_tasks_summarize_filtered.json"],
    20: ["state_actors_summarize.json"],
    21: ["state_objects_summarize.json"],
    22: ["cluster_status_format1.json"],
    23: ["cluster_status_format0.json"],
    24: ["logs_list_head.json", "logs_list_glob.json", "error_logs_list_no_node.json"],
    25: ["state_tasks_detail_flaky.json", "state_tasks_detail_to_stdout.json", "state_tasks_detail_actor_task.json"],
}


def first_row(name):
    return json.dumps(json.loads(fixture(name))["data"]["result"]["result"][0]).encode()


def json_models():
    for selector, names in JSON_DECODERS.items():
        for name in names:
            write("json_models", f"{selector:02d}-{name}", bytes([selector]) + fixture(name))
    # single rows: node, task, actor
    write("json_models", "11-node_row", bytes([11]) + first_row("state_nodes_detail.json"))
    write("json_models", "12-task_row", bytes([12]) + first_row("state_tasks.json"))
    write("json_models", "13-actor_row", bytes([13]) + first_row("state_actors.json"))
    write("json_models", "10-serve_put_request", bytes([10]) + fixture("serve_put_two_apps.request.json"))


def validation():
    # selector byte, then the text (layouts in validation.cpp)
    seeds = {
        "id_submission": (0, b"raycl-ok-1"), "id_hex": (0, b"8f1f3c39d0a4c4e5b5a9b2b9ffffffffffffffff01000000"),
        "id_traversal": (0, b"../etc/passwd"), "app_name": (1, b"hello_app"),
        "header": (2, b"X-Ray-Authorization\x00Bearer abc"), "header_crlf": (2, b"X-Custom\x00a\r\nInjected: 1"),
        "cookie": (3, b"session\x00abc123"), "address_http": (4, b"http://127.0.0.1:8265"),
        "address_https_path": (4, b"https://ray.example.com/ray/"), "address_ipv6": (4, b"[::1]:8265"),
        "address_userinfo": (4, b"http://user:pw@host:1/"), "address_bare": (4, b"localhost"),
        "list_options": (5, b"\x32\x01state\x00=\x00RUNNING\x00job_id\x00!=\x0001000000"),
        "submission": (6, b"python job.py\x00raycl_0123456789abcdef"),
        "percent": (7, b"a b/c%d?e#f\xc3\xa9"),
    }
    for name, (selector, text) in seeds.items():
        write("validation", name, bytes([selector]) + text)


def sanitize():
    # max_length selector, planted-secret form, token seed, then the text (layouts in sanitize.cpp)
    for name in ["error_auth_missing_token.txt", "error_auth_wrong_token.txt", "error_jobs_submit_duplicate.txt",
                 "error_job_delete_running.txt", "error_logs_file_unknown_submission.txt",
                 "error_serve_put_not_json.txt", "error_browser_guard_mozilla.txt", "error_state_bad_predicate.json",
                 "error_logs_stream_job_pending.txt", "error_ws_tail_unknown_job.txt"]:
        for form in range(0, 3):
            write("sanitize", f"{name}-{form}", bytes([form * 40, form, 17 + form]) + fixture(name))
    write("sanitize", "headers", bytes([255, 3, 5]) +
          b"Authorization: Bearer abc.def\nCookie: a=b; c=d\n{\"password\": \"p\", \"api_key\": 'k'}\n"
          b"https://u:p@h/ ray-authentication-token=zzz \\\"token\\\": \\\"v\\\"")
    # Many keys whose values run to one line end / delimiter: was quadratic before a0ab76e.
    write("sanitize", "many_keys_one_line", bytes([255, 2, 9]) + b"authorization: " * 270)
    write("sanitize", "many_keys_no_delimiter", bytes([100, 4, 9]) + b"token=" * 680)


def ignore_rules():
    # control byte, then "<ignore file text>\0<path>\0<path>..." (layout in ignore_rules.cpp)
    seeds = {
        "basic": b"\x00*.log\n!keep.log\n/build\nsub/\n\x00debug.log\x00keep.log\x00build\x00a/build\x00sub/x\x00.",
        "classes": b"\x01[abc].txt\n[!a-c]x\n[]-]\n[^a]\n\\#hash\n\x00b.txt\x00/x\x00-\x00^\x00#hash\x00",
        "double_star": b"\x00a/**/b\n**/data\n**\n*\nd*/\n\x00a/x/y/b\x00data\x00x/data/y\x00a\nb\x00d1/f",
        "crlf": b"\x00# c\r\n foo\\ \r\n\xc3\xa9*\r!\\!bang\n\x00foo\x00\xc3\xa9t\xc3\xa9\x00!bang\x00bad\xff",
        "errors": b"\x00ok\n[z-a]\n\x00ok",
    }
    write_all("ignore_rules", seeds)


def runtime_env():
    # control byte (1: ray_commit, 2: local dev mode), then a JSON runtime_env (runtime_env.cpp)
    seeds = {
        "wire": b'\x01{"working_dir": ".", "excludes": ["*.txt"], "pip": ["requests==2.31.0", "numpy", "numpy"], '
                b'"env_vars": {"A": "1"}}',
        "uv_config": b'\x00{"uv": {"uv_version": "0.4", "packages": ["a", "b", "a"]}, '
                     b'"config": {"setup_timeout_seconds": 60, "x": 1}}',
        "files": b'\x03{"pip": {"packages": "req.txt", "pip_check": true}, '
                 b'"py_modules": ["gcs://a.zip", "mods", "local:///opt/m"]}',
        "conda": b'\x01{"conda": "env.yaml", "env_vars": {}, "excludes": [], "nsight": "default"}',
        "conda_dir": b'\x01{"conda": "/envs//x/", "container": {"image": "x"}, "foo": null}',
        "errors": b'\x00{"pip": ["a"], "conda": "x", "env_vars": {"A": 1}, "working_dir": "s3://b/x.whl"}',
        "uri": b'\x00{"working_dir": "https://h/app.zip?sig=1", "py_modules": ["s3://b/x.whl", "local://rel"]}',
    }
    write_all("runtime_env", seeds)


def http_chunks(chunks, status="200 OK"):
    out = f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    for piece in chunks:
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def main():
    clear_seeds()
    line_assembler()
    http_stream()
    json_models()
    validation()
    sanitize()
    ignore_rules()
    runtime_env()
    total = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
    print(f"corpus: {sum(1 for p in corpus.rglob('*') if p.is_file())} files, {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
