"""Sharpness three ways on the same Hessian operator: the project's Lanczos, scipy's eigsh, power iteration.

Two models, each with its Hessian as one ``helpers.net.hessian.HessianOperator``:

1. lesson 4's net at initialisation (4,545 weights, full-batch mean squared error), where the
   dense Hessian is within reach: ``numpy.linalg.eigvalsh`` of it is the reference;
2. a small CNN on 8x8 images (generated here: four classes of oriented stripes plus noise;
   about 23,500 weights, sparse categorical cross-entropy over 4,096 images), where a dense
   Hessian (4.4 GB in float64) is out of reach: the methods are compared with each other.

Methods: the project's Lanczos (``helpers.net.hessian.sharpness``, tol 1e-4 on the relative
residual), scipy's ``eigsh(k=1, which="LA")`` at the same tolerance on the same operator, and
power iteration as PyHessian does it (``helpers.eigen.power_iteration``: maxIter 100, tol 1e-3
on the relative change). Per method: value, Hessian-vector products, seconds. For the CNN also
the peak memory of computing the sharpness with and without ``batch_size``: each in a fresh
subprocess, the peak resident set size (sampled every millisecond) minus the resident size just
before the computation (TensorFlow, model and data already loaded).

The LAST line is a JSON object: ``rel_error``, ``hvps`` (Lanczos on lesson 4's net),
``power_iteration_rel_error``, ``power_iteration_hvps``, ``eigsh_hvps``, ``eigsh_rel_error``,
``cnn_weights``, ``cnn_hvps``, ``cnn_eigsh_hvps``, ``cnn_power_iteration_hvps``,
``cnn_rel_diff_vs_eigsh``, ``cnn_peak_mb_batched``, ``cnn_peak_mb_full``, ``goal_met``.
Goal: ``rel_error <= 1e-3`` with no more HVPs than power iteration, and no more HVPs than
``eigsh`` on both models.

Usage: python benchmarks/sharpness.py [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time

import numpy as np

CNN_IMAGES = 4096
CNN_BATCH = 256
TOL = 1e-4


def stripes(n, seed):
    """``n`` 8x8 grey images of oriented stripes (4 classes: 0, 45, 90, 135 degrees) plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    rows, cols = np.mgrid[0:8, 0:8]
    angle = labels[:, None, None] * np.pi / 4
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    freq = rng.uniform(0.6, 1.2, (n, 1, 1))
    images = np.sin(freq * (np.cos(angle) * cols + np.sin(angle) * rows) + phase)
    images += 0.3 * rng.standard_normal(images.shape)
    return images[..., None].astype(np.float32), labels.astype(np.int32)


def small_cnn(seed):
    """Conv(16) -> Conv(32) -> max-pool -> Dense(64) -> softmax(4): about 23,500 weights."""
    import keras

    from helpers.net.env import set_seed

    set_seed(seed)
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(4, activation="softmax"),
    ], name="cnn_8x8")


def three_ways(op, size, seed):
    """(name, value, hvps, seconds) for Lanczos, eigsh and power iteration on operator ``op``."""
    from scipy.sparse.linalg import eigsh

    from helpers.eigen import power_iteration, top_eigenpair

    rows = []
    op.matvec(np.ones(size))  # trace the TensorFlow graph once, outside every method's timing
    op.hvps = 0
    start = time.perf_counter()
    value = top_eigenpair(op.matvec, size, tol=TOL, max_iter=300, seed=seed)[0]
    rows.append(("Lanczos (helpers.net.hessian)", value, op.hvps, time.perf_counter() - start))
    op.hvps = 0
    start = time.perf_counter()
    v0 = np.random.default_rng(seed).standard_normal(size)
    value = float(eigsh(op, k=1, which="LA", tol=TOL, v0=v0)[0][0])
    rows.append(('scipy eigsh(which="LA")', value, op.hvps, time.perf_counter() - start))
    op.hvps = 0
    start = time.perf_counter()
    value, used = power_iteration(op.matvec, size, max_iter=100, tol=1e-3, seed=seed)
    rows.append(("power iteration (PyHessian)", value, used, time.perf_counter() - start))
    return rows


def print_rows(rows, reference=None):
    print(f"{'method':<32} {'value':>14} {'rel error' if reference else 'rel to eigsh':>12} "
          f"{'HVPs':>6} {'seconds':>8}")
    base = reference if reference else rows[1][1]
    for name, value, hvps, seconds in rows:
        print(f"{name:<32} {value:>14.6f} {abs(value - base) / abs(base):>12.2e} {hvps:>6d} {seconds:>8.2f}")


def memory_probe(mode, seed):
    """In this (fresh) process: the CNN's sharpness; print its value and peak MB above the baseline.

    The resident set size is sampled every millisecond by a thread while the sharpness is
    computed (``ru_maxrss`` will not do: Linux carries it over from the parent process).
    """
    import psutil

    from helpers.net.hessian import sharpness

    x, y = stripes(CNN_IMAGES, seed)
    model = small_cnn(seed)
    process = psutil.Process()
    before = process.memory_info().rss
    peak, done = [before], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.001)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        value = sharpness(model, x, y, loss="sparse_categorical_crossentropy",
                          batch_size=CNN_BATCH if mode == "batched" else None, tol=TOL, seed=seed)
    finally:
        done.set()
        sampler.join()
    print(json.dumps({"value": value, "peak_mb": (peak[0] - before) / 2 ** 20}))


def probe_in_subprocess(mode, seed):
    done = subprocess.run([sys.executable, __file__, "--seed", str(seed), "--memory-probe", mode],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the nets, the data and the start vectors")
    parser.add_argument("--memory-probe", choices=["full", "batched"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe:
        memory_probe(args.memory_probe, args.seed)
        return

    from helpers.experiment import make_experiment
    from helpers.net.hessian import HessianOperator

    full = probe_in_subprocess("full", args.seed)
    batched = probe_in_subprocess("batched", args.seed)
    model, x, y = make_experiment(seed=args.seed)
    op = HessianOperator(model, x, y)
    size = op.shape[0]
    print(f"1. lesson 4 net at initialisation, seed {args.seed}: {size} weights, "
          f"full-batch MSE over {len(x)} rows")
    start = time.perf_counter()
    eye = np.eye(size)
    dense = np.concatenate([op.matmat(eye[:, s:s + 256]) for s in range(0, size, 256)], axis=1)
    eigs = np.linalg.eigvalsh(0.5 * (dense + dense.T))
    dense_seconds = time.perf_counter() - start
    reference = float(eigs[-1])
    print(f"dense Hessian + eigvalsh (reference): largest {eigs[-1]:.6g}, second {eigs[-2]:.6g}, "
          f"most negative {eigs[0]:.6g}; {size} HVPs, {dense_seconds:.1f} s")
    rows = three_ways(op, size, args.seed)
    print_rows(rows, reference)
    lanczos, scipy_row, power = rows

    cx, cy = stripes(CNN_IMAGES, args.seed)
    cnn = small_cnn(args.seed)
    cop = HessianOperator(cnn, cx, cy, loss="sparse_categorical_crossentropy", batch_size=CNN_BATCH)
    csize = cop.shape[0]
    print(f"\n2. CNN on 8x8 images at initialisation: {csize} weights (dense Hessian: "
          f"{8 * csize ** 2 / 2 ** 30:.1f} GiB), sparse categorical cross-entropy over {CNN_IMAGES} images, "
          f"HVPs accumulated over batches of {CNN_BATCH}")
    crows = three_ways(cop, csize, args.seed)
    print_rows(crows)
    print(f"peak memory of sharpness() above the process's baseline: all {CNN_IMAGES} images at once "
          f"{full['peak_mb']:.0f} MB, batch_size={CNN_BATCH} {batched['peak_mb']:.0f} MB "
          f"(values {full['value']:.6g} and {batched['value']:.6g}, relative difference "
          f"{abs(full['value'] - batched['value']) / abs(full['value']):.1e})")

    result = {
        "seed": args.seed,
        "reference": reference,
        "rel_error": abs(lanczos[1] - reference) / abs(reference),
        "hvps": lanczos[2],
        "power_iteration_rel_error": abs(power[1] - reference) / abs(reference),
        "power_iteration_hvps": power[2],
        "eigsh_rel_error": abs(scipy_row[1] - reference) / abs(reference),
        "eigsh_hvps": scipy_row[2],
        "cnn_weights": csize,
        "cnn_hvps": crows[0][2],
        "cnn_eigsh_hvps": crows[1][2],
        "cnn_power_iteration_hvps": crows[2][2],
        "cnn_rel_diff_vs_eigsh": abs(crows[0][1] - crows[1][1]) / abs(crows[1][1]),
        "cnn_peak_mb_batched": round(batched["peak_mb"], 1),
        "cnn_peak_mb_full": round(full["peak_mb"], 1),
    }
    result["goal_met"] = bool(result["rel_error"] <= 1e-3 and result["hvps"] <= result["power_iteration_hvps"]
                              and result["hvps"] <= result["eigsh_hvps"]
                              and result["cnn_hvps"] <= result["cnn_eigsh_hvps"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
