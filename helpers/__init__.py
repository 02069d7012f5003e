"""Companion package of the course "Why does a learning rate ten times too large blow up?".

Import the modules you need (``from helpers.quadratic import Quadratic``); importing
``helpers`` itself loads nothing heavy (no TensorFlow, no matplotlib, no widgets).
"""

__version__ = "0.1.0"
