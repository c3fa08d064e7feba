# Two commands set everything up on a fresh machine with Python >= 3.10:
#   make demo   trains the lab classifier on both datasets and writes its figures
#   make test   runs the whole test suite
# Both create (once) and use the local virtual environment .venv.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,examples]'
	touch $(STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(PY) examples/two_layer_classifier.py --out runs/lab_demo

test: $(STAMP)
	$(PY) -m ruff check tinygrad_lab tests examples benchmarks scripts
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pip install --quiet 'torch==2.13.0'  # the PyTorch columns (a CPU build)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) benchmarks/run.py --write-results

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
