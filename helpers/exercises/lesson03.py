"""Exercises for lesson 03: when a step makes the cost go up (Goodfellow's second-order change).

>>> from helpers.exercises import lesson03
>>> lesson03.q1.check(0.125)
Not yet: that is the best step η* = gᵀg/gᵀHg; the change turns positive at twice it.
False
"""

import numpy as np

from helpers.exercises.core import FunctionExercise, NumberExercise
from helpers.quadratic import second_order_change

_gg, _gHg = 5.0, 40.0

q1 = NumberExercise(
    prompt=f"At some point gᵀg = {_gg:g} and gᵀHg = {_gHg:g}. Beyond which learning rate η does a gradient step "
           "increase the loss (to second order)?",
    expected=2 * _gg / _gHg,
    mistakes=[
        (_gg / _gHg, "that is the best step η* = gᵀg/gᵀHg; the change turns positive at twice it."),
        (_gHg / _gg, "the ratio is upside down: a larger curvature gᵀHg makes the safe step smaller."),
    ],
    hints=["Set η²/2 gᵀHg - η gᵀg = 0 and solve for η > 0."],
    solution="η = 2 gᵀg / gᵀHg = 2·5/40 = 0.25.",
)

_rng = np.random.default_rng(3)
_A = _rng.normal(size=(3, 3))
_cases = [(g, _A @ _A.T + np.eye(3), lr) for g in (np.array([1.0, -2.0, 0.5]), _rng.normal(size=3))
          for lr in (0.01, 0.3, 1.5)]

q2 = FunctionExercise(
    prompt="Write `change(g, H, lr)`: the second-order prediction of the loss change after the step -lr·g.",
    reference=second_order_change,
    cases=_cases,
    mistakes=[
        (lambda g, H, lr: lr**2 * (g @ H @ g) - lr * (g @ g),
         "the curvature term has a factor 1/2: η²/2 gᵀHg (a Taylor expansion's second-order term)."),
        (lambda g, H, lr: lr * (g @ g) - lr**2 / 2 * (g @ H @ g),
         "the signs are flipped: the step goes against the gradient, so the first-order term is -η gᵀg."),
    ],
    hints=["Taylor: L(w - ηg) ≈ L(w) - η gᵀg + η²/2 gᵀHg."],
    solution="def change(g, H, lr):\n    return lr**2 / 2 * g @ H @ g - lr * g @ g",
)
