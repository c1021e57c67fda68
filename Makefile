# The two commands of the README. Both install what they need first (scripts/setup.sh).
.PHONY: setup demo test test-fast test-slow lint bench

setup:
	@bash scripts/setup.sh

demo: setup
	@FORMS_HOME=$${FORMS_HOME:-var/demo} .venv/bin/forms demo --samples $${SAMPLES:-../shared/samples}

test: setup
	.venv/bin/ruff check src tests bench
	.venv/bin/pytest -m "not slow" -n 2 -q
	.venv/bin/pytest -m slow -n 2 -q

test-fast: setup
	.venv/bin/pytest -m "not slow" -n 2 -q

lint: setup
	.venv/bin/ruff check src tests bench

bench: setup
	@command -v soffice >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-writer-nogui >/dev/null)
	.venv/bin/python bench/intake.py
	.venv/bin/python bench/mailroom.py
	.venv/bin/python bench/documents.py
