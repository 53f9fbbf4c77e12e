"""The paper's experiment grid (Tables I/II and Figure 3) as reusable functions."""

from .. import _recipes
from ._data import SYNTHETIC_SKEWS, load_experiment_data
from ._grid import ABLATIONS, ROWS, Row, build_ablation_pipeline, build_row_pipeline
from ._report import write_report
from ._run import run_reproduction
from ._study import (LONG_TAIL_DATA, LONG_TAIL_ROWS, check_long_tail_claims,
                     run_long_tail_study, write_long_tail_report)
from ._summary import check_claims

__all__ = ["ABLATIONS", "LONG_TAIL_DATA", "LONG_TAIL_ROWS", "PROFILES", "ROWS", "Row",
           "SYNTHETIC_SKEWS", "build_ablation_pipeline", "build_row_pipeline",
           "check_claims", "check_long_tail_claims", "load_experiment_data",
           "run_long_tail_study", "run_reproduction", "write_long_tail_report",
           "write_report"]

PROFILES = _recipes.PROFILES
"""Settings of ``skvideo-imb fit --profile`` and ``reproduce --profile`` (the sizes
of the smoke, quick and paper runs)."""
