import sys
from pathlib import Path

# Lets tests import their small shared modules (notebook_runner, ...) by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))
