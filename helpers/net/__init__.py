"""The course's TensorFlow half: any Keras model's curvature, training and learning-rate check.

Every module here imports :mod:`helpers.net.env` first (TensorFlow's quiet, deterministic
set-up); nothing outside this subpackage imports TensorFlow, so ``import helpers`` stays light.

* :mod:`helpers.net.env` -- the TensorFlow environment preamble and seeding;
* :mod:`helpers.net.data` -- data as batches: arrays or a finite ``tf.data.Dataset``;
* :mod:`helpers.net.losses` -- any Keras loss (a name, a loss object or a callable) as one callable;
* :mod:`helpers.net.models` -- the one seeded MLP builder;
* :mod:`helpers.net.hessian` -- the Hessian as a ``scipy`` ``LinearOperator``; sharpness and critical rate;
* :mod:`helpers.net.training` -- the one training loop and its result;
* :mod:`helpers.net.tracking` -- ``SharpnessTracker``, a callback measuring the sharpness during training;
* :mod:`helpers.net.monitor` -- ``DivergenceMonitor``, a callback for ``model.fit`` that warns before the nan;
* :mod:`helpers.net.check` -- ``check_learning_rate``: one call on a compiled model;
* :mod:`helpers.net.regime` -- dead and saturated units, and the regime a run ended in;
* :mod:`helpers.net.own_network` -- lesson 7's nets and its runs below and above the critical rate;
* :mod:`helpers.net.autopsy` -- where the first nan of a diverged run came from (``first_nonfinite_op``: TensorFlow's own checks);
* :mod:`helpers.net.range_test` -- Smith's learning-rate range test (on the training loop, with a callback).
"""
