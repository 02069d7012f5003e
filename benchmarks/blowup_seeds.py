"""Is lesson 4's blow-up robust? Run its experiment on many seeds at lr = 1e-3 and 1e-4.

For each seed: the critical rate 2 / sharpness at initialisation (full-batch Hessian), then
plain SGD for two epochs at 1e-3 and at 1e-4 from the same initial weights. Prints a row per
seed, then as the LAST line a JSON object with the counts:

    nan_at_1e-3            runs at 1e-3 whose loss became inf/nan within two epochs
    trained_at_1e-4        runs at 1e-4 that stayed finite and ended at <= half the initial loss
    critical_in_interval   seeds whose 2 / sharpness at init lies strictly between 1e-4 and 1e-3

Usage: python benchmarks/blowup_seeds.py --seeds 20 --first-seed 100 [--activation relu]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

from helpers.curvature import sharpness
from helpers.experiment import LESSON, lr_sweep, make_experiment


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds (default 20)")
    parser.add_argument("--first-seed", type=int, default=100, help="first seed (default 100)")
    parser.add_argument("--activation", default=LESSON.activation,
                        help=f"hidden activation (default {LESSON.activation}; try relu)")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.first_seed < 0:
        parser.error("--seeds must be >= 1 and --first-seed >= 0")
    config = replace(LESSON, activation=args.activation)
    counts = {"nan_at_1e-3": 0, "trained_at_1e-4": 0, "critical_in_interval": 0}
    odd = []
    print(f"config: {config}")
    print(f"{'seed':>5} {'2/sharpness':>12} {'1e-3: outcome':>14} {'step':>5} {'max finite loss':>16}"
          f" {'1e-4: loss0':>12} {'final':>10} {'ratio':>6} {'s':>5}")
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        start = time.perf_counter()
        model, x, y = make_experiment(config, seed=seed)
        crit = 2.0 / sharpness(model, x, y)
        fast, slow = lr_sweep(model, x, y, [1e-3, 1e-4], seed=seed, progress=False).runs
        finite = fast.losses[: fast.diverged_at] if fast.diverged else fast.losses
        peak = float(finite.max()) if finite.size else float("nan")
        counts["nan_at_1e-3"] += fast.diverged
        counts["trained_at_1e-4"] += slow.trained
        counts["critical_in_interval"] += 1e-4 < crit < 1e-3
        if not fast.diverged:
            odd.append(f"seed {seed}: 1e-3 did not reach inf/nan (peak loss {peak:.3g}, final "
                       f"{fast.final_loss:.3g} = {fast.final_loss / fast.initial_loss:.2f} x initial: "
                       f"{'catapulted and recovered' if fast.trained else 'stalled'})")
        print(f"{seed:>5} {crit:>12.3e} {fast.outcome:>14} {str(fast.diverged_at):>5} {peak:>16.3e}"
              f" {slow.initial_loss:>12.4g} {slow.final_loss:>10.4g} {slow.final_loss / slow.initial_loss:>6.3f}"
              f" {time.perf_counter() - start:>5.1f}", flush=True)
    for line in odd:
        print(line)
    print(json.dumps({"seeds": args.seeds, "first_seed": args.first_seed, **counts}))


if __name__ == "__main__":
    main()
