"""The paper's experiment grid (Tables I/II and Figure 3) as reusable functions."""

from .. import _recipes
from ._data import load_experiment_data
from ._grid import ABLATIONS, ROWS, Row, build_ablation_pipeline, build_row_pipeline
from ._report import write_report
from ._run import run_reproduction
from ._summary import check_claims

__all__ = ["ABLATIONS", "PROFILES", "ROWS", "Row", "build_ablation_pipeline",
           "build_row_pipeline", "check_claims", "load_experiment_data", "run_reproduction",
           "write_report"]

PROFILES = _recipes.PROFILES
"""Settings of ``skvideo-imb fit --profile`` and ``reproduce --profile`` (the sizes
of the smoke, quick and paper runs)."""
