"""The curvature names lessons 2-6 import: the mean-squared-error Hessian of :mod:`helpers.net.hessian`.

Every function here is :mod:`helpers.net.hessian`'s own, with its default loss, the mean
squared error of ``model(x)`` against ``y`` over all the rows given (full batch, mean
reduction), as a function of the model's trainable weights -- the meaning these names have had
since lesson 4:

* :func:`sharpness` -- the largest *algebraic* eigenvalue ``lambda_max`` of the Hessian, by a
  Lanczos iteration on Hessian-vector products (never forms the Hessian);
* :func:`min_eigenvalue` -- the most negative one (a saddle), with its eigenvector if asked;
* :func:`critical_lr` -- ``2 / sharpness`` for plain SGD: gradient descent on the local
  quadratic model is stable below it and diverges above it;
* :func:`hvp`, :func:`dense_hessian`, :class:`HessianOperator` -- the products, the whole
  Hessian of a small model, and the Hessian as a ``scipy`` ``LinearOperator``.

Sharpness is the largest algebraic eigenvalue, not the largest in magnitude: a negative
eigenvalue is a direction where the loss curves *down*, and gradient descent does not blow up
along it. Any other loss, batched data or an optimizer's own threshold: use
:mod:`helpers.net.hessian` directly.

Examples
--------
>>> import keras, numpy as np
>>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
>>> x = np.array([[1.0], [3.0]])
>>> round(sharpness(model, x, [0.0, 0.0]), 4)          # top eigenvalue of [[10, 4], [4, 2]]
11.6569
>>> round(min_eigenvalue(model, x, [0.0, 0.0]), 4), round(critical_lr(model, x, [0.0, 0.0]), 5)
(0.3431, 0.17157)
"""

from __future__ import annotations

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

from helpers.net.hessian import (HessianOperator, MinEigenvalueResult, SharpnessResult, check_model,  # noqa: F401,E402
                                 critical_lr, dense_hessian, hvp, min_eigenvalue, sharpness)

__all__ = ["HessianOperator", "hvp", "dense_hessian", "sharpness", "critical_lr",
           "SharpnessResult", "min_eigenvalue", "MinEigenvalueResult", "check_model"]
