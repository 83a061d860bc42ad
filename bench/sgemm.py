"""The machine's measured fp32 matrix-product peak: the system OpenBLAS's cblas_sgemm on the FFN shapes.

    python3 bench/sgemm.py --lib /lib/x86_64-linux-gnu/libopenblas.so.0 --threads 2 --shape M,N,K ... [--reps 10]

Prints one JSON object: per shape and thread count, the median / min / max seconds and GFLOP/s.
The library is the one the compiled .so links (bench.py passes the path `ldd` resolves), loaded with
ctypes, not numpy's bundled OpenBLAS, which may be a different build. The call is the one debertac
makes for a linear layer: row-major C[M, N] = A[M, K] · B[N, K]ᵀ (weights stored [out, in]).
"""

import argparse
import ctypes
import json
import statistics
import sys
import time

import numpy as np

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def measure(lib, m: int, n: int, k: int, threads: int, reps: int, warmup: int) -> dict:
    lib.openblas_set_num_threads(threads)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((n, k), dtype=np.float32)
    c = np.zeros((m, n), dtype=np.float32)
    args = (ROW_MAJOR, NO_TRANS, TRANS, m, n, k, ctypes.c_float(1.0), a.ctypes.data, k, b.ctypes.data, k,
            ctypes.c_float(0.0), c.ctypes.data, n)
    times = []
    for i in range(warmup + reps):
        start = time.perf_counter_ns()
        lib.cblas_sgemm(*args)
        if i >= warmup:
            times.append((time.perf_counter_ns() - start) * 1e-9)
    if not np.allclose(c[:2, :2], a[:2] @ b[:2].T, rtol=1e-3, atol=1e-3):
        raise SystemExit("sgemm gave a wrong product")
    flops = 2 * m * n * k
    median = statistics.median(times)
    return {"m": m, "n": n, "k": k, "threads": threads, "median_s": median, "min_s": min(times),
            "max_s": max(times), "gflops": flops / median / 1e9, "gflops_best": flops / min(times) / 1e9}


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lib", required=True)
    parser.add_argument("--threads", type=int, nargs="+", required=True)
    parser.add_argument("--shape", action="append", required=True, help="M,N,K")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    lib = ctypes.CDLL(args.lib)
    vp, i = ctypes.c_void_p, ctypes.c_int
    lib.cblas_sgemm.argtypes = [i, i, i, i, i, i, ctypes.c_float, vp, i, vp, i, ctypes.c_float, vp, i]
    lib.cblas_sgemm.restype = None
    lib.openblas_set_num_threads.argtypes = [i]
    lib.openblas_get_config.restype = ctypes.c_char_p
    results = []
    for threads in args.threads:
        for shape in args.shape:
            m, n, k = (int(x) for x in shape.split(","))
            results.append(measure(lib, m, n, k, threads, args.reps, args.warmup))
    json.dump({"library": args.lib, "config": lib.openblas_get_config().decode(), "results": results}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
