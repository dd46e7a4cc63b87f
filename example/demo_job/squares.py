import ray


@ray.remote
def square(x):
    return x * x


def squares(n):
    return ray.get([square.remote(i) for i in range(n)])
