"""Exercises for lesson 03: when a step makes the cost go up (Goodfellow's second-order change).

>>> from helpers.exercises import lesson03
>>> lesson03.q1.check(0.1)
Not yet: that is the best step gᵀg/gᵀHg; the change turns positive at twice it.
False
"""

import numpy as np

from helpers.exercises.core import FunctionExercise, NumberExercise
from helpers.quadratic import second_order_change

_gg, _gHg = 4.0, 40.0

q1 = NumberExercise(
    prompt=f"At some point gᵀg = {_gg:g} and gᵀHg = {_gHg:g}. Beyond which step size ε does a gradient step "
           "increase the loss (to second order)?",
    expected=2 * _gg / _gHg,
    mistakes=[
        (_gg / _gHg, "that is the best step gᵀg/gᵀHg; the change turns positive at twice it."),
        (_gHg / _gg, "the ratio is upside down: a larger curvature gᵀHg makes the safe step smaller."),
    ],
    hints=["Set ε²/2 gᵀHg - ε gᵀg = 0 and solve for ε > 0."],
    solution="ε = 2 gᵀg / gᵀHg = 2·4/40 = 0.2.",
)

_rng = np.random.default_rng(3)
_A = _rng.normal(size=(3, 3))
_cases = [(g, _A @ _A.T + np.eye(3), eps) for g in (np.array([1.0, -2.0, 0.5]), _rng.normal(size=3))
          for eps in (0.01, 0.3, 1.5)]

q2 = FunctionExercise(
    prompt="Write `change(g, H, eps)`: the second-order prediction of the loss change after the step -eps·g.",
    reference=second_order_change,
    cases=_cases,
    mistakes=[
        (lambda g, H, eps: eps**2 * (g @ H @ g) - eps * (g @ g),
         "the curvature term has a factor 1/2: ε²/2 gᵀHg (a Taylor expansion's second-order term)."),
        (lambda g, H, eps: eps * (g @ g) - eps**2 / 2 * (g @ H @ g),
         "the signs are flipped: the step goes against the gradient, so the first-order term is -ε gᵀg."),
    ],
    hints=["Taylor: L(w - εg) ≈ L(w) - ε gᵀg + ε²/2 gᵀHg."],
    solution="def change(g, H, eps):\n    return eps**2 / 2 * g @ H @ g - eps * g @ g",
)
