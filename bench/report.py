"""Goals, Markdown table and plot of a bench/harness.py result (also usable alone:
`python bench/report.py bench/results/latest.json` re-renders the .md and .png)."""

import json
import os
import sys

QUEUE_SIZE = 1000
MAX_MESSAGE_SIZE = 10 * 1024
# Issue 15: decoding may not peak higher than it did before (results/2026-11-26T023003Z, max of 5 runs).
DECODE_PEAK_BOUND_MIB = {"jobs": 30328 / 1024, "tasks": 21060 / 1024}
BACKPRESSURE_BOUND_KIB = QUEUE_SIZE * MAX_MESSAGE_SIZE // 1024 + 16 * 1024
FLAT_TOLERANCE_KIB = 4 * 1024


def _s(node, client, metric):
    try:
        s = node[client]["summary"][metric]
        return s if s else None
    except (KeyError, TypeError):
        return None


def _m(node, client, metric):
    s = _s(node, client, metric)
    return s["median"] if s else None


def _ratio(a, b):
    return a / b if a and b else None


def _goal(scenario, what, measured, goal, op, detail=""):
    if measured is None:
        met = None
    else:
        met = measured >= goal if op == ">=" else measured <= goal
    return {"scenario": scenario, "what": what, "measured": measured, "goal": f"{op} {goal:g}", "met": met,
            "detail": detail}


def goals(results):
    sc = results["scenarios"]
    out = []
    gj = sc.get("get_job")
    if gj:
        for c in ("c1", "c64"):
            node = gj[c]
            raycl = _m(node, "raycl", "requests_per_s")
            out.append(_goal(f"1. get_job {c}", "raycl / wrk (req/s)", _ratio(raycl, _m(node, "wrk", "requests_per_s")),
                             0.7, ">="))
            out.append(_goal(f"1. get_job {c}", "raycl / Ray JobSubmissionClient (req/s)",
                             _ratio(raycl, _m(node, "ray", "requests_per_s")), 20, ">="))
    dec = sc.get("decode")
    if dec:
        for kind in ("jobs", "tasks"):
            node = dec[kind]
            out.append(_goal(f"2. decode 10k {kind}", "Ray (json + pydantic) time / raycl time",
                             _ratio(_m(node, "ray", "median_ms"), _m(node, "raycl", "median_ms")), 10, ">="))
            peak = _s(node, "raycl", "peak_extra_kib")
            out.append(_goal(f"2. decode 10k {kind}", "raycl peak extra RSS (MiB, max of runs)",
                             peak["max"] / 1024 if peak else None, DECODE_PEAK_BOUND_MIB[kind], "<=",
                             "no higher than before the decoder work of issue 15"))
    tail = sc.get("tail")
    if tail:
        for protocol in ("websocket", "stream"):
            node = tail[protocol]
            raycl = _m(node, "raycl", "lines_per_s")
            out.append(_goal(f"3. tail {protocol}", "raycl / raw byte counter (lines/s)",
                             _ratio(raycl, _m(node, "raw-beast", "lines_per_s")), 0.7, ">=",
                             "raw: synchronous Beast reader (C++)"))
            if protocol == "websocket":
                out.append(_goal("3. tail websocket", "raycl / Ray tail_job_logs, chunks split into lines (lines/s)",
                                 _ratio(raycl, _m(node, "ray-lines", "lines_per_s")), 1.5, ">="))
    bp = sc.get("backpressure")
    if bp:
        for protocol in ("websocket", "stream"):
            peak = _s(bp, protocol, "peak_over_baseline_kib")
            out.append(_goal(f"4. back-pressure {protocol}", "peak RSS over baseline (MiB, max of runs)",
                             peak["max"] / 1024 if peak else None, BACKPRESSURE_BOUND_KIB / 1024, "<=",
                             "bound = queue_size x max_message_size + 16 MiB"))
            growth = _s(bp, protocol, "growth_last_vs_early_kib")
            out.append(_goal(f"4. back-pressure {protocol}", "RSS growth, last quarter vs early (MiB, max)",
                             growth["max"] / 1024 if growth else None, FLAT_TOLERANCE_KIB / 1024, "<=",
                             "flat over time"))
    scale = sc.get("scale")
    if scale and "skipped" not in scale:
        for protocol in ("websocket", "stream"):
            rss = _s(scale, protocol, "rss_peak_mib")
            lost = _s(scale, protocol, "lines_lost")
            out.append(_goal(f"5. 1,000 tails {protocol}", "peak RSS (MiB, max of runs)",
                             rss["max"] if rss else None, 256, "<="))
            out.append(_goal(f"5. 1,000 tails {protocol}", "lines lost (max of runs)", lost["max"] if lost else None,
                             0, "<="))
    cl = sc.get("cluster")
    if cl and "skipped" not in cl:
        out.append(_goal("6. real cluster", "`ray job list` / `raycl job list` wall time (cold)",
                         _ratio(_m(cl["job_list"], "ray", "wall_ms"), _m(cl["job_list"], "raycl", "wall_ms")), 10,
                         ">="))
        out.append(_goal("6. real cluster", "Ray / raycl submit-to-first-line time",
                         _ratio(_m(cl["first_line"], "ray", "first_line_ms"),
                                _m(cl["first_line"], "raycl", "first_line_ms")), 1, ">="))
    ps = sc.get("package_submit")
    if ps and "skipped" not in ps:
        for scenario, what in (("a", "(a) 2,000 files, 20 MiB"), ("c", "(c) (a) again, unchanged")):
            out.append(_goal("8. package and submit", f"{what}: Ray JobSubmissionClient / raycl submit time",
                             _ratio(_m(ps[scenario], "ray", "submit_ms"), _m(ps[scenario], "raycl", "submit_ms")), 5,
                             ">="))
        peak = _s(ps["b"], "raycl", "peak_over_baseline_kib")
        out.append(_goal("8. package and submit", "(b) 5 files, 80 MiB: raycl peak RSS over baseline (MiB, max)",
                         peak["max"] / 1024 if peak else None, 32, "<="))
    return out


def _fmt(v, digits=3):
    if v is None:
        return "n/a"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _cell(s, scale=1.0):
    if not s:
        return "n/a"
    return f"{_fmt(s['median'] * scale)} [{_fmt(s['min'] * scale)}-{_fmt(s['max'] * scale)}]"


def _table(node, clients, metrics):
    """metrics: (title, metric, scale)"""
    lines = ["| client | " + " | ".join(t for t, _, _ in metrics) + " |",
             "|---|" + "---|" * len(metrics)]
    for c in clients:
        if c not in node:
            continue
        lines.append(f"| {c} | " + " | ".join(_cell(_s(node, c, m), k) for _, m, k in metrics) + " |")
    return "\n".join(lines)


def markdown(results):
    m = results["machine"]
    sc = results["scenarios"]
    out = [f"# raycl benchmark {results['date']}" + (" (quick mode: fewer rounds, smaller data)" if results["quick"] else ""),
           "",
           f"Machine: {m['cores']} cores, {m['cpu_model']}, Linux {m['kernel']}; **shared** with other builds "
           f"(load average at start {' '.join(m['load_average_at_start'])}). raycl {m['raycl_commit']} "
           f"({m['compiler']}, Boost {m['boost']}), Python {m['python']}, "
           + ", ".join(f"{k} {v}" for k, v in m["peers"].items()) + f", {m['wrk']}, {m['nginx']}.",
           "",
           f"Every number is the median [min-max] of {results['settings']['rounds']} rounds; in each round every "
           "client ran once, in rotating order, so drift of the shared machine hits all alike. Ratios are "
           "of medians from this run. HTTP server: " + results["servers"]["http"] + "; tail server: "
           + results["servers"]["tail"] + ".",
           "",
           *[f"Scenarios {', '.join(u['scenarios'])} were measured in a later run ({u['date']}, same machine, "
             f"raycl {u['machine']['raycl_commit']}, load average {' '.join(u['machine']['load_average_at_start'])})"
             " and merged into this file." for u in results.get("updates", [])],
           "",
           "## Goals", "",
           "| scenario | ratio / value | measured | goal | met |", "|---|---|---|---|---|"]
    for g in results.get("goals", []):
        met = "n/a" if g["met"] is None else ("yes" if g["met"] else "**MISSED**")
        detail = f" ({g['detail']})" if g["detail"] else ""
        out.append(f"| {g['scenario']} | {g['what']}{detail} | {_fmt(g['measured'])} | {g['goal']} | {met} |")
    if "get_job" in sc:
        for c in ("c1", "c64"):
            out += ["", f"## 1. get_job (~1 KB body), keep-alive, concurrency {c[1:]}", "",
                    _table(sc["get_job"][c], ["wrk", "raycl", "aiohttp", "requests", "ray"],
                           [("requests/s", "requests_per_s", 1), ("CPU us/request", "cpu_us_per_request", 1)])]
        out.append("\n`requests` and `ray` at concurrency 64 use 64 threads (one Session each for requests; "
                   "Ray's JobSubmissionClient opens a new connection per call). wrk: `-t1 -cC`.")
    if "decode" in sc:
        for kind in ("jobs", "tasks"):
            out += ["", f"## 2. decode 10,000 {kind} to typed results", "",
                    _table(sc["decode"][kind], ["raycl", "ray", "json"],
                           [("ms", "median_ms", 1), ("peak extra RSS MiB", "peak_extra_kib", 1 / 1024)])]
        out.append("\n`ray`: `json.loads` + Ray's pydantic models (`JobDetails(**d)`, `dict_to_state(d, TASKS)`), "
                   "as `JobSubmissionClient.list_jobs` and `ray.util.state.list_tasks` do; `json`: `json.loads` only.")
    if "tail" in sc:
        for protocol in ("websocket", "stream"):
            node = sc["tail"][protocol]
            out += ["", f"## 3. tail throughput, {protocol} ({results['settings']['tail_lines']:,} lines, "
                        f"{results['settings']['tail_bytes'] / 1e6:.0f} MB, frames of 10 lines)", "",
                    _table(node, ["raycl", "raycl-batch", "raw-beast", "websockets", "aiohttp", "ray", "ray-lines"],
                           [("lines/s", "lines_per_s", 1), ("client CPU s", "cpu_s", 1),
                            ("server CPU share", "server_cpu_share", 1), ("peak RSS MiB", "peak_rss_kib", 1 / 1024)])]
        out.append("\n`raycl`: `log_stream::next()` per line; `raycl-batch`: `log_stream::next_batch()`; "
                   "`raw-beast`: a synchronous Beast reader that only counts bytes; `websockets`/`aiohttp`: "
                   "Python byte counters; `ray`: `JobSubmissionClient.tail_job_logs` as it yields (chunks of 10 lines, newlines counted); "
                   "`ray-lines`: the same, split into lines with `str.splitlines()`. Server CPU share near 1.0 "
                   "would mean the server is the bottleneck.")
    bp = sc.get("backpressure")
    if bp:
        out += ["", f"## 4. back-pressure: slow consumer ({bp['pause']}), log of {bp['lines']:,} lines "
                    f"({bp['log_bytes_target'] / 2**20:.0f} MiB)", "",
                _table(bp, ["websocket", "stream"],
                       [("peak RSS over baseline MiB", "peak_over_baseline_kib", 1 / 1024),
                        ("growth last quarter vs early MiB", "growth_last_vs_early_kib", 1 / 1024),
                        ("seconds", "seconds", 1)])]
    scale = sc.get("scale")
    if scale:
        out += ["", "## 5. scale: 1,000 concurrent tails in one process (2 cores)", ""]
        if "skipped" in scale:
            out.append(f"Skipped: {scale['skipped']}")
        else:
            out.append(_table(scale, ["websocket", "stream"],
                              [("peak RSS MiB", "rss_peak_mib", 1), ("CPU s", "cpu_s", 1),
                               ("lines delivered", "lines_delivered", 1), ("lost", "lines_lost", 1),
                               ("duplicates", "duplicates", 1), ("soak's own checks ok (1/0)", "soak_checks_ok", 1)]))
            out.append("\n`raycl_soak --tails 1000 --disconnect-rate 0 --queue-size 1000 --lines-per-second-per-tail 20` "
                       "(test/soak: the fake dashboard in a child process, so the RSS is the client's).")
    cl = sc.get("cluster")
    if cl:
        out += ["", "## 6. real Ray 2.60 cluster (token auth, 1 worker)", ""]
        if "skipped" in cl:
            out.append(f"Skipped: {cl['skipped']}")
        else:
            out += ["Cold process `job list`:", "", _table(cl["job_list"], ["raycl", "ray"], [("wall ms", "wall_ms", 1)]),
                    "", "Submit to first log line (`echo ...; sleep 1`):", "",
                    _table(cl["first_line"], ["raycl", "ray"],
                           [("first line ms", "first_line_ms", 1), ("submit ms", "submit_ms", 1)])]
    cg = sc.get("callgrind")
    if cg:
        out += ["", "## 7. instruction counts (callgrind, Ir; difference of two run lengths, so start-up is excluded)", "",
                "| what | Ir |", "|---|---|",
                f"| per get_job | {cg['get_job']['ir_per_call']:,.0f} |"]
        for protocol in ("websocket", "stream"):
            if f"tail_{protocol}" in cg:
                out.append(f"| per 1,000 tail lines, {protocol} | {cg[f'tail_{protocol}']['ir_per_1000_lines']:,.0f} |")
    ps = sc.get("package_submit")
    if ps:
        out += ["", "## 8. package and submit on the real cluster (token auth): `submit_job` with a local working_dir", ""]
        if "skipped" in ps:
            out.append(f"Skipped: {ps['skipped']}")
        else:
            for scenario, what in (("a", "(a) 2,000 files of 10 KiB text, 20 MiB, new to the cluster"),
                                   ("b", "(b) 5 random files of 16 MiB, 80 MiB, new to the cluster"),
                                   ("c", "(c) the tree of (a) again, unchanged (already on the cluster)")):
                out += [f"{what}:", "", _table(ps[scenario], ["raycl", "ray"],
                                               [("submit ms", "submit_ms", 1),
                                                ("peak RSS over baseline MiB", "peak_over_baseline_kib", 1 / 1024),
                                                ("archive bytes", "archive_bytes", 1)]), ""]
            out.append("`bench/package_submit.py`: raycl_bench package-submit (automatic compression, hash cache in a "
                       "fresh directory) against Ray's `JobSubmissionClient.submit_job`; only the call is timed.")
    out += ["", "Why a goal is missed and what would close it: see bench/README.md."]
    return "\n".join(out) + "\n"


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sc = results["scenarios"]
    panels = [p for p in ("get_job", "decode", "tail", "backpressure") if p in sc]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.4))
    axes = axes if len(panels) > 1 else [axes]

    def bars(ax, groups, title, ylabel, log=True):
        # groups: [(group label, [(client, summary)])]
        clients = []
        for _, items in groups:
            for c, _ in items:
                if c not in clients:
                    clients.append(c)
        width = 0.8 / max(1, len(clients))
        for i, c in enumerate(clients):
            xs, ys, lo, hi = [], [], [], []
            for g, (_, items) in enumerate(groups):
                s = dict(items).get(c)
                if s:
                    xs.append(g + i * width)
                    ys.append(s["median"])
                    lo.append(s["median"] - s["min"])
                    hi.append(s["max"] - s["median"])
            ax.bar(xs, ys, width, yerr=[lo, hi], label=c, capsize=2)
        ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))])
        ax.set_xticklabels([g for g, _ in groups])
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        if log:
            ax.set_yscale("log")
        ax.legend(fontsize=7)

    for ax, p in zip(axes, panels):
        if p == "get_job":
            groups = [(f"c={c[1:]}", [(cl, _s(sc[p][c], cl, "requests_per_s")) for cl in sc[p][c]])
                      for c in ("c1", "c64")]
            bars(ax, groups, "1. get_job requests/s (higher is better)", "requests/s")
        elif p == "decode":
            groups = [(f"10k {k}", [(cl, _s(sc[p][k], cl, "median_ms")) for cl in sc[p][k]]) for k in ("jobs", "tasks")]
            bars(ax, groups, "2. decode to typed results (lower is better)", "ms")
        elif p == "tail":
            groups = [(pr, [(cl, _s(sc[p][pr], cl, "lines_per_s")) for cl in sc[p][pr]]) for pr in ("websocket", "stream")]
            bars(ax, groups, "3. tail lines/s (higher is better)", "lines/s")
        elif p == "backpressure":
            for protocol in ("websocket", "stream"):
                samples = [s for s in sc[p][protocol]["samples"] if "rss_series" in s]
                if samples:
                    s = samples[0]
                    base = s["rss_baseline_kib"]
                    ax.plot([t for t, _ in s["rss_series"]], [(v - base) / 1024 for _, v in s["rss_series"]],
                            label=protocol)
            ax.axhline(BACKPRESSURE_BOUND_KIB / 1024, color="red", linestyle="--", label="goal bound")
            ax.set_title("4. slow consumer: RSS over baseline")
            ax.set_xlabel("s")
            ax.set_ylabel("MiB")
            ax.legend(fontsize=7)
    fig.suptitle(f"raycl vs peers, {results['date']} ({results['machine']['cores']} shared cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    path = sys.argv[1]
    with open(path) as f:
        data = json.load(f)
    data["goals"] = goals(data)
    base = os.path.splitext(path)[0]
    with open(base + ".md", "w") as f:
        f.write(markdown(data))
    plot(data, base + ".png")
    print(markdown(data))
