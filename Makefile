# Developer commands. The README's two: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: demo test test-deep lint format docs messages wheel clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Run the example site with fictional demo content on SQLite at http://127.0.0.1:8000
demo: $(STAMP)
	cd example_site && ../$(BIN)/python manage.py migrate --noinput
	cd example_site && ../$(BIN)/python manage.py sixdegrees_demo
	cd example_site && ../$(BIN)/python manage.py runserver 127.0.0.1:8000

## Run the whole test suite: SQLite, then PostgreSQL (a throwaway cluster) with browser tests
test: $(STAMP)
	$(BIN)/python -m tests.run $(if $(ARGS),-- $(ARGS),)

## Before a release: the property tests' deep profile (10,000 webhook event streams; SQLite)
test-deep: $(STAMP)
	SIXDEGREES_TEST_PROFILE=deep $(BIN)/python -m tests.run --only sqlite -- tests/giving/test_convergence.py -s $(ARGS)

## Retake the giving-manager guide's screenshots (docs/managers/img/) with the browser test
screenshots: $(STAMP)
	SIXDEGREES_SCREENSHOTS=1 $(BIN)/python -m tests.run --only postgres -- tests/browser/test_giving_panel.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python .ci/commit_subjects.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: $(STAMP)
	$(BIN)/mkdocs build --strict

LANGUAGES := en th vi km my id tl lo

## Regenerate the package's translation catalogues from the code and templates, and compile them
messages: $(STAMP)
	cd wagtail_sixdegrees && ../$(BIN)/django-admin makemessages $(addprefix -l ,$(LANGUAGES)) --no-obsolete --ignore "static/*"
	cd wagtail_sixdegrees && ../$(BIN)/django-admin compilemessages

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --no-isolation --outdir dist

clean:
	rm -rf $(VENV) dist build site example_site/db.sqlite3 example_site/.devstripe-state.json example_site/media
