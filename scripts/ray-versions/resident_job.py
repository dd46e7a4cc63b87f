"""Job entrypoint for scripts/ray-versions/record_fixtures.py: leaves state behind to list.

It finishes a few tasks (one of them failing), keeps a named actor, a placement group and a
put object alive, prints a marker line, then sleeps so the state API has something of every
kind (tasks, actors, objects, placement groups, workers, runtime envs) while it is recorded.

Usage (entrypoint): python resident_job.py [--sleep S]
"""
import argparse
import sys
import time

import ray

p = argparse.ArgumentParser()
p.add_argument("--sleep", type=float, default=120.0)
a = p.parse_args()

ray.init()


@ray.remote(num_cpus=0.1)
def square(x):
    print(f"raycl task: square({x})", flush=True)
    return x * x


@ray.remote(num_cpus=0.1)
def broken():
    raise ValueError("raycl task: failing on purpose")


@ray.remote(num_cpus=0.1)
class Keeper:
    def __init__(self):
        print("raycl actor: Keeper started", flush=True)
        self.n = 0

    def incr(self):
        self.n += 1
        print(f"raycl actor: incr -> {self.n}", flush=True)
        return self.n


print("raycl resident: squares", ray.get([square.remote(i) for i in (1, 2, 3)]), flush=True)
try:
    ray.get(broken.remote())
except Exception as e:  # noqa: BLE001 - any failure is what we want
    print("raycl resident: broken task failed:", type(e).__name__, flush=True)
keeper = Keeper.options(name="raycl_keeper").remote()
print("raycl resident: keeper", ray.get(keeper.incr.remote()), flush=True)
pg = ray.util.placement_group([{"CPU": 0.1}], strategy="PACK", name="raycl_pg")
ray.get(pg.ready())
obj = ray.put(b"x" * 1024)
print("raycl resident: ready", flush=True)
sys.stdout.flush()
time.sleep(a.sleep)
print("raycl resident: done", flush=True)
