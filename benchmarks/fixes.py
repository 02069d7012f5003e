"""Every fix of lesson 5 on lesson 4's net: does it train, final loss, sharpness before/after, time.

Prints a table, then as the last line a JSON object
``{"fixes": {NAME: {"trains", "final_loss", "sharpness_before", "sharpness_after", "seconds"}}}``.
"""

import json
import time

from helpers import fixes


def main():
    start = time.perf_counter()
    results = {}
    for name, fix in fixes.DEFAULT_FIXES.items():
        results[name] = fix(seed=0)
    print(fixes.summary_table(list(results.values())))
    for name, result in results.items():
        measured = result.measured()
        if measured:
            print(f"  {name}: " + ", ".join(f"{k} = {v:.4g}" for k, v in measured.items()))
    sweep = fixes.adam_sweep((1e-2, 1e-1, 1.0, 10.0))
    print("Adam sweep: " + ", ".join(f"lr {r.lr:g}: {'trains' if r.trains else 'FAILS'} "
                                     f"(final loss {r.final_loss:.3g})" for r in sweep))
    print(f"total {time.perf_counter() - start:.1f} s")
    print(json.dumps({"fixes": {name: r.as_dict() for name, r in results.items()}}))


if __name__ == "__main__":
    main()
