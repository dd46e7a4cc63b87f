"""Job entrypoint for raycl integration tests: prints a few lines, runs 3 tasks and 1 actor.

Usage (entrypoint): python /abs/path/job_tasks_and_actor.py [--lines N] [--sleep S] [--fail]
  --lines N  print N extra numbered lines "line <i>" (default 0)
  --sleep S  sleep S seconds before finishing (to observe RUNNING / stop)
  --fail     exit with status 3 after the work (FAILED job)
"""
import argparse
import sys
import time

import ray

p = argparse.ArgumentParser()
p.add_argument("--lines", type=int, default=0)
p.add_argument("--sleep", type=float, default=0.0)
p.add_argument("--fail", action="store_true")
a = p.parse_args()

print("raycl job: start", flush=True)
ray.init()  # address comes from the job supervisor's environment (RAY_ADDRESS)


@ray.remote(num_cpus=0.1)
def square(x):
    return x * x


@ray.remote(num_cpus=0.1)
class Counter:
    def __init__(self):
        self.n = 0

    def incr(self, k):
        self.n += k
        return self.n


results = ray.get([square.remote(i) for i in range(1, 4)])
print(f"raycl job: squares {results}", flush=True)
c = Counter.options(name="raycl_counter").remote()
print(f"raycl job: counter {ray.get([c.incr.remote(k) for k in results])[-1]}", flush=True)
for i in range(a.lines):
    print(f"line {i}", flush=True)
if a.sleep:
    print(f"raycl job: sleeping {a.sleep}s", flush=True)
    time.sleep(a.sleep)
if a.fail:
    print("raycl job: failing on purpose", flush=True)
    sys.exit(3)
print("raycl job: done", flush=True)
