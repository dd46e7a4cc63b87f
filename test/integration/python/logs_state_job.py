"""Job entrypoint for raycl's logs and state-API integration tests.

Usage (entrypoint): python logs_state_job.py CONTROL_DIR TAG

Runs, in order, and prints exactly these lines of its own (Ray's INFO logging and the workers'
output on the driver are switched off, so the driver log holds only them):
  - task `to_stdout` prints "raycl stdout TAG" to stdout;
  - task `to_stderr` prints "raycl stderr TAG" to stderr;
  - task `flaky` fails its first attempt after printing "raycl flaky TAG attempt 0" and succeeds
    on the second after printing "raycl flaky TAG attempt 1" (a marker file in CONTROL_DIR tells
    the attempts apart);
  - actor `Printer` (named raycl_logs_printer_TAG) prints "raycl actor TAG init" and holds three
    objects in its object store references (put by the actor itself);
  - placement group raycl_logs_pg_TAG with one bundle {"CPU": 0.01}.
Then the driver prints "raycl job TAG ready" and obeys files the test creates in CONTROL_DIR:
  say-<n>  the actor prints the file's content (one line) to stdout, then the file is removed
  kill     the actor is killed (ray.kill); the driver prints "raycl job TAG actor killed"
  finish   the driver prints "raycl job TAG done" and exits 0
It gives up after 600 s.
"""
import logging
import os
import sys
import time

import ray
import ray._private.worker
from ray.util.placement_group import placement_group

control, tag = sys.argv[1], sys.argv[2]
# The driver prints errors the raylet publishes (e.g. "(raylet) Task flaky failed ... will be
# retried") into the driver log; silence them so that the log holds only this script's lines.
ray._private.worker.print_to_stdstream = lambda *args, **kwargs: None
ray.init(logging_level=logging.ERROR, log_to_driver=False)


@ray.remote(num_cpus=0.01)
def to_stdout(tag):
    print(f"raycl stdout {tag}", flush=True)
    return 1


@ray.remote(num_cpus=0.01)
def to_stderr(tag):
    print(f"raycl stderr {tag}", file=sys.stderr, flush=True)
    return 2


@ray.remote(num_cpus=0.01, max_retries=1, retry_exceptions=True)
def flaky(tag, control):
    marker = os.path.join(control, "flaky-attempted")
    attempt = 1 if os.path.exists(marker) else 0
    print(f"raycl flaky {tag} attempt {attempt}", flush=True)
    if attempt == 0:
        open(marker, "w").close()
        raise RuntimeError("raycl flaky: first attempt fails on purpose")
    return 3


@ray.remote(num_cpus=0.01)
class Printer:
    def __init__(self, tag):
        self.tag = tag
        self.refs = []
        print(f"raycl actor {tag} init", flush=True)

    def hold(self, count):
        self.refs = [ray.put(b"raycl object %d " % i + b"x" * 1000) for i in range(count)]
        return len(self.refs)

    def say(self, text):
        print(text, flush=True)
        return True


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


results = ray.get([to_stdout.remote(tag), to_stderr.remote(tag), flaky.remote(tag, control)])
printer = Printer.options(name=f"raycl_logs_printer_{tag}").remote(tag)
held = ray.get(printer.hold.remote(3))
pg = placement_group([{"CPU": 0.01}], name=f"raycl_logs_pg_{tag}")
ray.get(pg.ready())
emit(f"raycl job {tag} ready {results} {held}")

deadline = time.time() + 600
said = 0
while time.time() < deadline:
    for name in sorted(os.listdir(control)):
        path = os.path.join(control, name)
        if name.startswith("say-"):
            with open(path) as f:
                text = f.read().strip("\n")
            ray.get(printer.say.remote(text))
            os.remove(path)
            said += 1
        elif name == "kill":
            ray.kill(printer)
            os.remove(path)
            emit(f"raycl job {tag} actor killed")
        elif name == "finish":
            emit(f"raycl job {tag} done")
            sys.exit(0)
    time.sleep(0.1)
emit(f"raycl job {tag} gave up")
sys.exit(4)
