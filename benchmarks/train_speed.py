"""Training speed of ResBiLSTMClassifier: seconds per epoch, fp32 vs bf16 autocast.

The paper's size is two residual bidirectional LSTM layers of 1024 units on sequences of
40 frames x 2048 InceptionV3 features; this times one epoch over n=256 random sequences
(batch size 32) for each precision.  Nothing is asserted: the numbers depend on the
processor (bf16 pays off on CPUs with AVX512-BF16 or AMX, and on recent GPUs).

Usage::

    python benchmarks/train_speed.py             # paper size, CPU, fp32 and bf16
    python benchmarks/train_speed.py --quick     # small sizes, seconds
    python benchmarks/train_speed.py --device cuda --precisions fp32 bf16 fp16
"""

import argparse
import time

import numpy as np
import torch

from skvideo_imb.models import ResBiLSTMClassifier

PAPER = dict(n_samples=256, n_frames=40, n_features=2048, hidden_size=1024, fc_size=1024)
QUICK = dict(n_samples=64, n_frames=10, n_features=256, hidden_size=128, fc_size=128)


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: " + str(QUICK))
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"],
                        choices=["fp32", "bf16", "fp16"])
    parser.add_argument("--epochs", type=int, default=2,
                        help="epochs per precision; the first is a warm-up when > 1")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--n-samples", type=int, default=None,
                        help="override the number of sequences (per-epoch time scales with it)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    return parser.parse_args(argv)


def time_epochs(X, y, *, precision, device, epochs, batch_size, hidden_size, fc_size):
    """Fit for ``epochs`` epochs and return the seconds of each one."""
    clf = ResBiLSTMClassifier(hidden_size=hidden_size, fc_size=fc_size, precision=precision,
                              device=device, max_epochs=epochs, batch_size=batch_size,
                              random_state=0)
    clf.fit(X, y)
    return [row["dur"] for row in clf.history]


def main(argv=None):
    args = _parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    size = dict(QUICK if args.quick else PAPER)
    if args.n_samples:
        size["n_samples"] = args.n_samples
    rng = np.random.RandomState(0)
    X = rng.normal(size=(size["n_samples"], size["n_frames"], size["n_features"]))
    X = X.astype(np.float32)
    y = np.arange(size["n_samples"]) % 10
    print(f"sizes {size}, device {args.device}, batch {args.batch_size}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print(f"{'precision':>9}  {'s/epoch':>8}  {'samples/s':>9}  epochs (s)")
    for precision in args.precisions:
        start = time.perf_counter()
        durations = time_epochs(X, y, precision=precision, device=args.device,
                                epochs=args.epochs, batch_size=args.batch_size,
                                hidden_size=size["hidden_size"], fc_size=size["fc_size"])
        timed = durations[1:] or durations
        per_epoch = float(np.mean(timed))
        print(f"{precision:>9}  {per_epoch:8.2f}  {size['n_samples'] / per_epoch:9.1f}  "
              f"{[round(d, 2) for d in durations]} (total {time.perf_counter() - start:.1f})")


if __name__ == "__main__":
    main()
