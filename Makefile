# One-command set-up: `make demo` and `make test` each create .venv when missing,
# install the pinned stack this machine needs, install the package in editable mode,
# then run. A stamp file records what was installed, so a second run installs nothing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# Pins for these machines (x86_64, Python 3.11): torch and torchvision as this pair (each
# torchvision release works with one torch only; the machines cap pip at this pair), from
# PyPI; pyproject.toml only declares loose lower bounds.
TORCH_PINS := torch==2.14.1 torchvision==0.29.1
STAMP := $(VENV)/.installed
# OpenMP threads that spin while waiting make torch 40-100x slower whenever another
# process shares the cores (measured on the 2-core machines); passive waiting costs
# nothing measurable when the machine is idle.
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: demo test docs bench clean venv

venv: $(STAMP)

# One installer invocation: one resolution, the pins and the package's extras together.
# uv (installed into the venv by pip) downloads and unpacks in parallel: 49 s against
# pip's 105 s for this set on a 2-core machine with empty caches, the same versions; pip
# does it where uv cannot be installed.  Byte-compiling what is installed must stay:
# where PYTHONDONTWRITEBYTECODE is set (as on these machines) nothing is compiled later,
# and every fresh process then compiles torch from source on import (22 s instead of 4;
# the suite took twice as long with pip's --no-compile).
EXTRAS := .[test,docs,openvino,int8,seek,dask]
$(STAMP): pyproject.toml setup.cfg Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	( $(PIP) install -q uv && $(PY) -m uv pip install -q --python $(PY) --compile-bytecode \
	      $(TORCH_PINS) -e '$(EXTRAS)' ) || $(PIP) install -q $(TORCH_PINS) -e '$(EXTRAS)'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/skvideo-imb reproduce --out demo_output --scheduler local:2

# The suite runs in one worker process per usable core, at most 5 (pytest-xdist); each
# worker's torch gets its share of the cores, at least one thread (tests/conftest.py).
# A worker per core *plus one* paid while the tests spent their time starting Python
# processes; with those mostly gone it costs more than it gains (2-core machine, same
# session, alternating: 2 workers 206 s and 193 s, 3 workers 224 s and 236 s, 20% more
# CPU).  Counted from this process's CPU affinity, not xdist's "auto" (physical cores by
# psutil: 1 on a 2-vCPU machine, the whole host's in a container).  PYTEST_WORKERS=0:
# one process.
PYTEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(min(5, len(os.sched_getaffinity(0))))")

test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile

docs: $(STAMP)
	$(MAKE) -C docs html SPHINXOPTS="-W --keep-going" PYTHON=$(abspath $(PY))

bench: $(STAMP)
	$(PY) benchmarks/featurize.py
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/search_scaling.py
	$(PY) benchmarks/cache_claims.py

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/generated docs/sg_execution_times.rst demo_output .pytest_cache
