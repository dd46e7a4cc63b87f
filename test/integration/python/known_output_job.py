"""Job entrypoint whose log raycl's integration suite knows byte for byte.

It starts three Ray tasks and one actor, then prints exactly the text that
test/integration/known_output.hpp expects: ASCII, non-ASCII UTF-8, a line longer than
10 KiB, and a final line without a trailing newline. Ray's own INFO logging and the
workers' output are switched off so that the driver log holds only these lines.
"""
import logging
import sys

import ray

ray.init(logging_level=logging.ERROR, log_to_driver=False)


@ray.remote(num_cpus=0.1)
def square(x):
    return x * x


@ray.remote(num_cpus=0.1)
class Counter:
    def __init__(self):
        self.total = 0

    def add(self, k):
        self.total += k
        return self.total


squares = ray.get([square.remote(i) for i in (1, 2, 3)])
counter = Counter.options(name="raycl_known_output_counter").remote()
total = ray.get([counter.add.remote(k) for k in squares])[-1]

out = sys.stdout
out.write("raycl known output v1\n")
out.write("unicode: h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e\n")
out.write("long: " + "0123456789" * 1200 + "\n")
out.write(f"squares: {squares}\n")
out.write(f"counter: {total}\n")
out.write("the end")
out.flush()
