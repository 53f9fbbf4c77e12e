"""Gallery order: the examples read as a tutorial, not alphabetically.

Sample a video, fit the pipeline, compare samplers and long-tail losses, search with the
cache, ablate the model, bring your own data, then the same from the command line.  Named by string in
``conf.py`` (sphinx-gallery imports it), because Sphinx pickles its configuration and a
function defined in ``conf.py`` cannot be pickled.
"""

import os

ORDER = ["plot_oversampling.py", "plot_pipeline.py", "plot_smote_comparison.py",
         "plot_long_tail.py", "plot_long_tail_search.py", "plot_grid_search_cache.py",
         "plot_dask_search.py", "plot_ablation_curves.py",
         "plot_your_own_videos.py", "plot_command_line.py"]


class TutorialOrder:
    """Sort key for ``within_subsection_order``: position in :data:`ORDER`."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = os.path.basename(filename)
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)

    def __repr__(self):
        return "TutorialOrder"
