"""Does lesson 7 hold on fresh seeds? Each of its nets below and above its own critical rate.

For each seed and net: the critical rate at initialisation (2 / sharpness; with SGD momentum
0.9, 2 (1 + 0.9) / sharpness), then full-batch gradient descent from the same initial weights
at 0.5 x and 4 x it, and the outcome in the lesson's categories (trains / diverges / units die /
saturates). The nets: the raw-diabetes MLPs (linear, leaky ReLU, ReLU, tanh; 300 steps), the
digits CNN with cross-entropy (50 steps), and the leaky-ReLU net with momentum 0.9 (200 steps).
A seed agrees for a net when both runs came out as the lesson says
(``helpers.net.own_network.LESSON_SAYS``, checked by ``agrees_with_lesson``: exactly what the
lesson says happens below and above, no more). Prints a row per seed and net, every disagreement
with what happened, then as the LAST line a JSON object:

    {"seeds": N, "first_seed": S, "agree": {NET: k, ...}}

Usage: python benchmarks/own_network.py --seeds 10 --first-seed 100
"""

from __future__ import annotations

import argparse
import json
import time

from helpers import datasets
from helpers.net.own_network import (ACTIVATIONS, LESSON_SAYS, agrees_with_lesson, cross_entropy, diabetes_net,
                                     digits_cnn, rate_runs)

FACTORS = (0.5, 4.0)


def runs_for_seed(seed, x, y, images, labels):
    """Every net of the lesson at ``seed``: {net: RateRuns}."""
    out = {a: rate_runs(diabetes_net(a, seed=seed), x, y, FACTORS, steps=300, measure_after=False)
           for a in ACTIVATIONS}
    out["cnn"] = rate_runs(digits_cnn(seed), images, labels, FACTORS, loss=cross_entropy(), steps=50,
                           measure_after=False)
    out["momentum"] = rate_runs(diabetes_net("leaky_relu", seed=seed), x, y, FACTORS, momentum=0.9, steps=200,
                                measure_after=False)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds (default 10)")
    parser.add_argument("--first-seed", type=int, default=100, help="first seed (default 100)")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.first_seed < 0:
        parser.error("--seeds must be >= 1 and --first-seed >= 0")
    x, y = datasets.diabetes()
    images, labels = datasets.digits()
    agree = {net: 0 for net in LESSON_SAYS}
    misses = []
    print("the lesson says: " + "; ".join(f"{k}: {v}" for k, v in LESSON_SAYS.items()))
    print(f"{'seed':>5} {'net':>10} {'critical lr':>12} {'agrees':>6}  what happened")
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        start = time.perf_counter()
        for net, result in runs_for_seed(seed, x, y, images, labels).items():
            ok, what = agrees_with_lesson(net, result, y=y)
            agree[net] += ok
            if not ok:
                misses.append(f"seed {seed}, {net}: {what}")
            print(f"{seed:>5} {net:>10} {result.critical_lr:>12.3e} {'yes' if ok else 'NO':>6}  {what}", flush=True)
        print(f"      seed {seed}: {time.perf_counter() - start:.1f} s", flush=True)
    for line in misses:
        print("disagrees: " + line)
    print(json.dumps({"seeds": args.seeds, "first_seed": args.first_seed, "agree": agree}))


if __name__ == "__main__":
    main()
