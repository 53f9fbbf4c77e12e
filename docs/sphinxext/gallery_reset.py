"""Per-example reset for sphinx-gallery (referenced by name in ``conf.py``).

sphinx-gallery runs every example in the same Python process.  Before each one we
reseed PyTorch and NumPy's legacy global generator, so an example's output does not
depend on which examples ran before it, and cap PyTorch's intra-op threads, so a docs
build on a shared machine does not oversubscribe its cores (``SKVIDEO_IMB_DOCS_THREADS``
overrides the cap, default 2).
"""

import os


def reset_torch(gallery_conf, fname):
    """Reseed torch and numpy and cap torch's thread count before an example runs."""
    import numpy as np

    np.random.seed(0)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency of the package
        return
    torch.manual_seed(0)
    threads = int(os.environ.get("SKVIDEO_IMB_DOCS_THREADS", "2"))
    torch.set_num_threads(max(1, min(threads, os.cpu_count() or 1)))


