# Exam Depository: `make run` starts the app locally, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_KEY := var/dev-secret-key
# The key `make run` signs receipts with, kept so they still verify after a restart.
DEV_RECEIPT_KEY := var/dev-receipt-key
DEV_ENV = DEBUG=true SECRET_KEY=$$(cat $(DEV_KEY)) RECEIPT_SIGNING_KEY=$$(cat $(DEV_RECEIPT_KEY))

.PHONY: run worker verify-receipt test e2e screenshots lint fmt migrations-check messages vendor \
	venv lock oidc-provider bench bench-receipt bench-pages clean

# The venv installs the lock file: every distribution at the version and hashes it names, so
# every machine and CI get the same packages.
$(VENV)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	touch $@

venv: $(VENV)/.installed

## lock: requirements.lock (the image's) and requirements-dev.lock (make venv's) written anew
## from requirements.txt and requirements-dev.txt. To add a package: a pinned line in one of
## those, then `make lock`, then commit the three files. UPGRADE=1 takes the newest releases
## of what the .txt files leave unpinned.
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock: venv
	$(LOCK) requirements.txt -o requirements.lock
	$(LOCK) requirements-dev.txt --constraint requirements.lock -o requirements-dev.lock

# The single sign-on tests sign in through a real OpenID Connect provider run with node
# (students/tests/oidc_provider); npm installs it from its lock file.
OIDC_PROVIDER := students/tests/oidc_provider
$(OIDC_PROVIDER)/node_modules/.package-lock.json: $(OIDC_PROVIDER)/package-lock.json
	npm ci --prefix $(OIDC_PROVIDER) --no-audit --no-fund --loglevel=error

oidc-provider: $(OIDC_PROVIDER)/node_modules/.package-lock.json

$(DEV_KEY):
	mkdir -p var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

$(DEV_RECEIPT_KEY): | venv
	mkdir -p var
	$(BIN)/python manage.py generate_receipt_key --bare > $@

## run: SQLite and local files in var/, an examiner login printed on first run
run: venv $(DEV_KEY) $(DEV_RECEIPT_KEY)
	$(DEV_ENV) $(BIN)/python manage.py migrate --verbosity 0
	$(DEV_ENV) $(BIN)/python manage.py ensure_examiner
	$(MAKE) --no-print-directory worker & trap 'kill $$! 2>/dev/null' EXIT; \
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

## worker: the background worker (mail), beside `make run`'s server or on its own
worker: venv $(DEV_KEY) $(DEV_RECEIPT_KEY)
	$(DEV_ENV) exec $(BIN)/python manage.py worker --no-reload

## verify-receipt: check a receipt of `make run`'s site, e.g. make verify-receipt RECEIPT=r.json FILE=a.pdf
verify-receipt: venv $(DEV_RECEIPT_KEY)
	RECEIPT_SIGNING_KEY=$$(cat $(DEV_RECEIPT_KEY)) $(BIN)/python manage.py verify_receipt $(RECEIPT) $(FILE)

## test: the whole suite (PostgreSQL when DATABASE_URL is set, else SQLite), one process per
## core (pytest-xdist; each has its own test database). `.venv/bin/pytest` alone runs it in one.
test: venv oidc-provider
	$(BIN)/pytest -n auto

## e2e: only the browser journeys (they need Chromium: apt-get install chromium)
e2e: venv
	$(BIN)/pytest e2e

## screenshots: the browser journeys, rewriting the pictures in docs/screenshots/ (a test
## run never touches them: every run leaves the working tree clean)
screenshots: venv
	REFRESH_SCREENSHOTS=1 $(BIN)/pytest e2e

## bench: photos made into one PDF on the server beside an ordinary upload (bench/scans.py,
## under a minute), the deadline rush on this machine (PostgreSQL on 127.0.0.1, moto's S3,
## nginx), about 6 minutes, writing bench/RESULTS.md (BENCH_DATABASE_URL picks the scratch
## database of the rush), then a signed receipt's size and signing cost, then the app's CPU
## per view of the exam page (50 rows) and of the receipt page
bench: venv
	$(BIN)/python bench/scans.py
	$(BIN)/python bench/rush.py
	$(BIN)/python bench/receipt.py
	$(BIN)/python bench/pages.py

## bench-receipt: a signed receipt's size and its signing cost per upload (seconds, in-process)
bench-receipt: venv
	$(BIN)/python bench/receipt.py

## bench-pages: the app's CPU per view of the exam page with 50 rows and of a receipt page
## (in-process, a throwaway test database; writes bench/RESULTS-pages.md)
bench-pages: venv
	$(BIN)/python bench/pages.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Where makemessages does not look for strings: installed packages, built files, tests.
MESSAGES_IGNORE := --ignore=.venv --ignore=staticfiles --ignore=node_modules --ignore=var \
	--ignore=e2e --ignore=bench --ignore=tests --ignore=conftest.py --ignore='test_*.py' \
	--ignore=.ci
MESSAGES_OPTIONS := --all --add-location=file --no-obsolete $(MESSAGES_IGNORE)

## messages: the catalogs in locale/ brought up to date with the code, then compiled (a
## maintainer's step: it needs GNU gettext, e.g. apt-get install gettext). The compiled .mo
## files are committed, so `run`, `test` and the Dockerfile need nothing of it.
messages: venv
	$(BIN)/python manage.py makemessages $(MESSAGES_OPTIONS)
	$(BIN)/python manage.py makemessages -d djangojs $(MESSAGES_OPTIONS)
	$(BIN)/python manage.py compilemessages --ignore=.venv

## vendor: the browser libraries in static/vendor/ fetched again from the npm registry, with
## their licences (a maintainer's step; needs npm). The source map comment goes: the map is
## not shipped, and the static files' manifest would look for it. lean-qr ships ES modules
## only, each on one line: its comment, if a release has one, goes without the code.
PDF_LIB_VERSION := 1.17.1
LEAN_QR_VERSION := 2.7.4
vendor:
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent pdf-lib@$(PDF_LIB_VERSION) >/dev/null \
		&& tar xzf pdf-lib-$(PDF_LIB_VERSION).tgz) \
		&& sed '/sourceMappingURL=/d' $$tmp/package/dist/pdf-lib.min.js > static/vendor/pdf-lib/pdf-lib.min.js \
		&& cp $$tmp/package/LICENSE.md static/vendor/pdf-lib/LICENSE.md; rm -rf $$tmp
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent lean-qr@$(LEAN_QR_VERSION) >/dev/null \
		&& tar xzf lean-qr-$(LEAN_QR_VERSION).tgz) \
		&& sed 's|//# sourceMappingURL=.*||' $$tmp/package/index.mjs > static/vendor/lean-qr/lean-qr.mjs \
		&& sed 's|//# sourceMappingURL=.*||' $$tmp/package/extras/svg.mjs > static/vendor/lean-qr/svg.mjs \
		&& cp $$tmp/package/LICENSE static/vendor/lean-qr/LICENSE; rm -rf $$tmp

migrations-check: venv
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
