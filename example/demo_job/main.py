# The demo job of scripts/demo.sh: shipped with `raycl job submit --working-dir example/demo_job`
# (raycl packages and uploads this directory; Ray runs the job inside it).
import ray

from squares import squares

# Read local files before ray.init(): on a package's first use, Ray 2.60 unpacks the working_dir
# again when the driver connects, and the driver's current directory is then a deleted one.
with open("data/greeting.txt") as greeting:
    message = greeting.read().strip()

ray.init()
print("hello from raycl")
print("squares:", squares(8))
print(message)
