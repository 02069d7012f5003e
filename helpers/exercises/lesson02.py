"""Exercises for lesson 02: many directions; the sharpest one sets the threshold.

>>> from helpers.exercises import lesson02
>>> lesson02.q1.check(0.2)
Correct!
True
"""

import numpy as np

from helpers.exercises.core import FunctionExercise, NumberExercise
from helpers.quadratic import Quadratic

_bowl = Quadratic.from_eigenvalues([1.0, 10.0], angle=np.pi / 6)

q1 = NumberExercise(
    prompt="The lesson's bowl has Hessian eigenvalues 1 and 10 (rotated by 30°). Above which learning rate "
           "does gradient descent diverge (the threshold)?",
    expected=_bowl.critical_lr,
    mistakes=[
        (2 / 1.0, "that is 2/λ_min; the threshold is set by the largest eigenvalue: every direction must be stable."),
        (_bowl.best_lr, "that is the best fixed rate 2/(λ_min + λ_max), below the threshold."),
    ],
    hints=["Each eigen-direction is a parabola with curvature λ_i; all must have |1 - lr·λ_i| < 1.",
           "The rotation does not change eigenvalues."],
    solution="2/λ_max = 2/10 = 0.2. Every rate below it converges; at 0.2 itself the steep factor is exactly -1, "
             "so that component flips sign forever without shrinking, and any rate above it diverges.",
)

_kappa = 100.0
_q = Quadratic.from_eigenvalues([1.0, _kappa])

q2 = NumberExercise(
    prompt="With κ = 100 and the best fixed rate 2/(λ_min + λ_max), by what factor is the error multiplied per step?",
    expected=_q.best_rate,
    rtol=1e-3,
    mistakes=[
        (1 - 1 / _kappa, "that is 1 - 1/κ, close but not the optimum; at the best rate both extreme factors "
                         "have size (κ - 1)/(κ + 1)."),
        (1 / _kappa, "1/κ would be fast progress; ill-conditioning makes the factor close to 1, not 0."),
    ],
    hints=["At lr = 2/(λ_min + λ_max) the factors 1 - lr·λ_min and 1 - lr·λ_max are equal and opposite.",
           "Write it in terms of κ = λ_max/λ_min."],
    solution="(κ - 1)/(κ + 1) = 99/101 ≈ 0.980: about 690 steps to shrink the error a millionfold.",
)


def _condition_number(X):
    return Quadratic(2 / len(X) * X.T @ X).condition_number


_rng = np.random.default_rng(2)
_cases = [(np.column_stack([np.ones(50), _rng.uniform(0, s, (50, 2))]),) for s in (1.0, 10.0, 40.0)]

q3 = FunctionExercise(
    prompt="Write `kappa(X)`: the condition number of the MSE Hessian (2/n) XᵀX of a design matrix X (n rows).",
    reference=_condition_number,
    cases=_cases,
    rtol=1e-6,
    mistakes=[
        (lambda X: np.linalg.cond(X), "that is the condition number of X itself, which is the square root of "
                                      "the Hessian's: XᵀX squares the singular values."),
        (lambda X: np.diag(X.T @ X).max() / np.diag(X.T @ X).min(),
         "you divided the largest by the smallest DIAGONAL entry; the condition number uses eigenvalues "
         "(np.linalg.eigvalsh)."),
    ],
    hints=["Build H = 2/n · X.T @ X, then take its eigenvalues with np.linalg.eigvalsh.",
           "κ = λ_max / λ_min; the factor 2/n cancels."],
    solution="def kappa(X):\n    lam = np.linalg.eigvalsh(2 / len(X) * X.T @ X)\n    return lam[-1] / lam[0]",
)
