"""The paper's experiment grid (Tables I/II and Figure 3) as a reusable function."""

from ._data import load_experiment_data
from ._grid import ABLATIONS, PROFILES, ROWS, Row, build_row_pipeline, run_reproduction
from ._report import write_report

__all__ = ["ABLATIONS", "PROFILES", "ROWS", "Row", "build_row_pipeline",
           "load_experiment_data", "run_reproduction", "write_report"]
