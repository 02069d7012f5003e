"""Sharpness of lesson 4's net at initialisation, three ways, side by side.

1. dense Hessian + ``numpy.linalg.eigvalsh`` (the reference; 4,545 Hessian-vector products);
2. power iteration as PyHessian does it (maxIter = 100, tol = 1e-3 on the relative change);
3. the project's ``helpers.curvature.sharpness`` (Lanczos, full reorthogonalisation).

For each: the value, the relative error against the reference, Hessian-vector products used
and seconds. The LAST line is a JSON object with ``rel_error`` and ``hvps`` (ours) and
``power_iteration_rel_error`` and ``power_iteration_hvps``. Goal: ``rel_error <= 1e-3`` with no
more HVPs than power iteration.

Usage: python benchmarks/sharpness.py [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from helpers.curvature import dense_hessian, power_iteration, sharpness
from helpers.experiment import LESSON, make_experiment


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=LESSON.seed, help="seed of the lesson's net")
    args = parser.parse_args(argv)
    model, x, y = make_experiment(seed=args.seed)
    print(f"lesson 4 net at initialisation, seed {args.seed}: {model.count_params()} weights, "
          f"full-batch MSE over {len(x)} rows")

    start = time.perf_counter()
    eigs = np.linalg.eigvalsh(dense_hessian(model, x, y))
    rows = [("dense eigvalsh (reference)", float(eigs[-1]), model.count_params(), time.perf_counter() - start)]
    reference = rows[0][1]

    start = time.perf_counter()
    value, used = power_iteration(model, x, y, max_iter=100, tol=1e-3)
    rows.append(("power iteration (PyHessian)", value, used, time.perf_counter() - start))

    start = time.perf_counter()
    info = sharpness(model, x, y, return_info=True)
    rows.append(("Lanczos (helpers.curvature)", info.sharpness, info.hvps, time.perf_counter() - start))

    print(f"most negative eigenvalue {eigs[0]:.6g}; largest {eigs[-1]:.6g}; "
          f"second largest {eigs[-2]:.6g}")
    print(f"{'method':<30} {'value':>14} {'rel error':>10} {'HVPs':>6} {'seconds':>8}")
    for name, val, hvps, seconds in rows:
        print(f"{name:<30} {val:>14.6f} {abs(val - reference) / abs(reference):>10.2e} {hvps:>6d} {seconds:>8.2f}")
    ours, power = rows[2], rows[1]
    result = {
        "seed": args.seed,
        "reference": reference,
        "rel_error": abs(ours[1] - reference) / abs(reference),
        "hvps": ours[2],
        "power_iteration_rel_error": abs(power[1] - reference) / abs(reference),
        "power_iteration_hvps": power[2],
    }
    result["goal_met"] = bool(result["rel_error"] <= 1e-3 and result["hvps"] <= result["power_iteration_hvps"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
