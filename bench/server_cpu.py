#!/usr/bin/env python3
"""The bench server's CPU per streamed line, for two (or more) builds of it side by side.

The harness's tail workload (bench/harness.py scenario_tail, raw reader): each server is
started as the harness starts it (no arguments, address read from its first stdout line) and
`raycl_bench raw-tail --url U --id bench_<N> --protocol P` reads the log; the servers take
turns, the order rotating per round. Per run: lines/s, the server's CPU (schedstat, all
threads) per line split into user and system time (/proc/<pid>/stat), the server's and the
reader's context switches, and with --perf the server's syscalls per line (perf stat
tracepoints). One JSON object per run on stdout, medians per server and protocol on stderr.

  bench/server_cpu.py --server old=OLD/bench/raycl_bench_server+OLD/bench/raycl_bench \\
                      --server new=build/bench/raycl_bench_server+build/bench/raycl_bench \\
                      --rounds 8 --lines 1000000 --perf [--pin 0,1]

NAME=SERVER[+CLIENT]: the raycl_bench of CLIENT reads that server (default: --client).
--pin S,C: the server's threads on CPU S, the reader on CPU C (taskset).
--fifo P: server and reader under SCHED_FIFO priority P (chrt), so that other processes of a
shared machine cannot preempt them (as if it were idle; the kernel's RT throttling still holds).
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
PERF_EVENTS = "raw_syscalls:sys_enter,syscalls:sys_enter_sendmsg,syscalls:sys_enter_epoll_wait"


def user_system(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def on_cpu_seconds(pid):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/schedstat") as f:
            total += int(f.read().split()[0])
    return total / 1e9


def context_switches(pid):
    voluntary = involuntary = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    involuntary += int(line.split()[1])
    return voluntary, involuntary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="append", required=True, help="NAME=SERVER[+CLIENT]")
    parser.add_argument("--client", help="raycl_bench for servers given without one")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--protocols", default="stream,websocket")
    parser.add_argument("--pin", help="S,C: server CPU, reader CPU")
    parser.add_argument("--fifo", type=int, help="SCHED_FIFO priority for server and reader")
    parser.add_argument("--perf", action="store_true", help="syscalls per line (perf stat)")
    args = parser.parse_args()

    servers = {}
    for spec in args.server:
        name, paths = spec.split("=", 1)
        server, _, client = paths.partition("+")
        servers[name] = {"server": server, "client": client or args.client}
    pin = args.pin.split(",") if args.pin else None
    for name, s in servers.items():
        s["proc"] = subprocess.Popen([s["server"]], stdout=subprocess.PIPE, text=True)
        s["url"] = json.loads(s["proc"].stdout.readline())["address"]
        if pin:
            subprocess.run(["taskset", "-a", "-p", "-c", pin[0], str(s["proc"].pid)], check=True, capture_output=True)
        if args.fifo:
            subprocess.run(["chrt", "-a", "-f", "-p", str(args.fifo), str(s["proc"].pid)], check=True, capture_output=True)
    rows = []
    try:
        names = list(servers)
        for r in range(args.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for protocol in args.protocols.split(","):
                for name in order:
                    s = servers[name]
                    pid = s["proc"].pid
                    perf = None
                    if args.perf:
                        perf = subprocess.Popen(["perf", "stat", "-x,", "-e", PERF_EVENTS, "-p", str(pid)],
                                                stderr=subprocess.PIPE, text=True)
                        time.sleep(0.3)
                    u0, s0 = user_system(pid)
                    cpu0, (v0, i0) = on_cpu_seconds(pid), context_switches(pid)
                    cmd = ["/usr/bin/time", "-f", "TIME %w %c"] + (["taskset", "-c", pin[1]] if pin else [])
                    cmd += ["chrt", "-f", str(args.fifo)] if args.fifo else []
                    cmd += [s["client"], "raw-tail", "--url", s["url"], "--id", f"bench_{args.lines}",
                            "--protocol", protocol]
                    done = subprocess.run(cmd, capture_output=True, text=True)
                    cpu1, (v1, i1) = on_cpu_seconds(pid), context_switches(pid)
                    u1, s1 = user_system(pid)
                    syscalls = {}
                    if perf:
                        perf.send_signal(signal.SIGINT)
                        for line in perf.communicate()[1].splitlines():
                            f = line.split(",")
                            if len(f) > 3 and f[0].isdigit():
                                syscalls[f[2].split(":")[-1].replace("sys_enter_", "")] = int(f[0]) / args.lines
                    record = json.loads(done.stdout.strip().splitlines()[-1])
                    reader_cs = [line for line in done.stderr.splitlines() if line.startswith("TIME")][-1].split()
                    row = {"round": r, "server": name, "protocol": protocol, "bytes": record["bytes"],
                           "seconds": record["seconds"], "lines_per_s": args.lines / record["seconds"],
                           "server_us_per_line": (cpu1 - cpu0) / args.lines * 1e6,
                           "server_user_s": u1 - u0, "server_system_s": s1 - s0,
                           "server_share": (cpu1 - cpu0) / record["seconds"],
                           "server_cs": [v1 - v0, i1 - i0], "reader_cpu_s": record["cpu_s"],
                           "reader_cs": [int(reader_cs[1]), int(reader_cs[2])],
                           "syscalls_per_line": syscalls, "load": os.getloadavg()[0]}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    finally:
        for s in servers.values():
            s["proc"].send_signal(signal.SIGTERM)
            s["proc"].wait(10)
    for protocol in args.protocols.split(","):
        for name in servers:
            runs = [x for x in rows if x["server"] == name and x["protocol"] == protocol]
            def med(key, runs=runs):
                return statistics.median(x[key] for x in runs)

            us = [x["server_us_per_line"] for x in runs]
            print(f"{protocol:9} {name:6} server {med('server_us_per_line'):.3f} us/line [{min(us):.3f}-{max(us):.3f}] "
                  f"(user {med('server_user_s'):.2f} s, system {med('server_system_s'):.2f} s per run), "
                  f"share {med('server_share'):.2f}, {med('lines_per_s') / 1e6:.2f} M lines/s, "
                  f"syscalls/line {runs[0]['syscalls_per_line']}", file=sys.stderr)


if __name__ == "__main__":
    main()
