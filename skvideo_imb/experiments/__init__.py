"""The paper's experiment grid (Tables I/II and Figure 3) as a reusable function."""

from ._data import load_experiment_data
from ._grid import PROFILES, ROWS, run_reproduction

__all__ = ["PROFILES", "ROWS", "load_experiment_data", "run_reproduction"]
