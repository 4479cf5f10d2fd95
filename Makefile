# Aula: `make run` serves the platform on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FLASK  := $(BIN)/flask --app wsgi
# Test processes (pytest-xdist): 2 suits a 2-core machine; PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= 2

.PHONY: run test bench setup browser-tools redis-server credential-tools check-system translations extract-messages update-catalogs lint clean

run: setup
	AULA_ENV=development $(FLASK) db upgrade
	AULA_ENV=development $(FLASK) content import course_content
	AULA_ENV=development $(FLASK) demo setup
	AULA_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

test: setup browser-tools redis-server credential-tools
	$(BIN)/ruff check app tests scripts migrations/env.py
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Page figures (queries, bytes, latency under load beside a trivial Flask view) and certificate
# figures (render, bulk issue with 1 and 2 workers, worker memory), and whether an answer's time
# tells who has an account (bench/enumeration.py); see bench/.
bench: setup
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.profile
	$(BIN)/python -m bench.certificates
	$(BIN)/python -m bench.enumeration

# Browser tests need Debian's Chromium and axe-core; without them they are skipped, loudly.
browser-tools:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "!!! could not install chromium: the browser tests will be skipped"; \
	  else echo "!!! chromium is missing (sudo apt-get install chromium): the browser tests will be skipped"; fi; }
	@test -f node_modules/axe-core/axe.min.js || { command -v npm >/dev/null \
	  && npm ci --silent --no-audit --no-fund; } \
	  || echo "!!! npm is missing: the browser tests will be skipped"

# Credential tests: Poppler's pdfsig checks the PDF signatures, and the Digital Credentials
# Consortium's verifier (Node, npm packages in tests/certificates/dcc) checks the credentials;
# without them those tests are skipped, loudly.
credential-tools:
	@command -v pdfsig >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's poppler-utils (pdfsig) for the PDF signature tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null) \
	      || echo "!!! could not install poppler-utils: the PDF signature tests will be skipped"; \
	  else echo "!!! pdfsig is missing (sudo apt-get install poppler-utils): the PDF signature tests will be skipped"; fi; }
	@test -d tests/certificates/dcc/node_modules/@digitalcredentials/vc || { command -v npm >/dev/null \
	  && (cd tests/certificates/dcc && npm ci --silent --no-audit --no-fund); } \
	  || echo "!!! npm is missing: the credential tests with the DCC verifier will be skipped"

# The job tests need a real Redis: each test worker starts its own redis-server (or uses
# TEST_REDIS_URL); without one they are skipped, loudly.
redis-server:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's redis-server for the job tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) \
	      || echo "!!! could not install redis-server: the job tests on Redis will be skipped (or set TEST_REDIS_URL)"; \
	  else echo "!!! redis-server is missing (sudo apt-get install redis-server): the job tests on Redis will be skipped (or set TEST_REDIS_URL)"; fi; }

setup: $(STAMP) check-system translations

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Aula needs Python 3.11 or newer (found: $$($(PYTHON) --version))."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
		{ echo "Could not create a virtual environment. On Debian: sudo apt-get install -y python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# A missing system library is installed when we may (root with apt-get), else named.
check-system: $(STAMP)
	@$(BIN)/python -m app.core.system_check 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing the system libraries the platform needs..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      $$($(BIN)/python -m app.core.system_check --packages) >/dev/null; \
	  fi; \
	  $(BIN)/python -m app.core.system_check; }

# Compiled catalogs are build output, made from the .po files under version control.
translations: $(STAMP)
	@$(BIN)/pybabel -q compile -d app/translations

# After changing user-facing text: refresh the catalogs, then translate the new entries.
extract-messages: $(STAMP)
	$(BIN)/pybabel -q extract --no-location --omit-header -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot app certificates

update-catalogs: extract-messages
	$(BIN)/pybabel -q update -N --no-fuzzy-matching --ignore-obsolete -i app/translations/messages.pot -d app/translations
	$(BIN)/python scripts/fill_source_catalog.py app/translations/en/LC_MESSAGES/messages.po

lint: $(STAMP)
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests

clean:
	rm -rf $(VENV) .pytest_cache
