"""Job entrypoint that prints `tick <i>` every `interval` seconds, `count` times (default 12 x 0.5 s)."""
import sys
import time

count = int(sys.argv[1]) if len(sys.argv) > 1 else 12
interval = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
for i in range(count):
    print(f"tick {i}", flush=True)
    time.sleep(interval)
print("done", flush=True)
