# Two commands matter: `make run` serves the app with demo data, `make test` runs every check.
# Both work on a fresh machine with only Python 3.11+ and make: uv is installed into .cache/uv first.

PYTHON3 ?= python3
UV_HOME := .cache/uv
UV := $(UV_HOME)/bin/uv
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Use a Python already on the machine (uv picks one matching requires-python); never download one.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: run test test-postgres bench install install-dev clean

$(UV):
	$(PYTHON3) -m venv $(UV_HOME)
	$(UV_HOME)/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

install: $(UV)
	$(UV) sync --frozen --no-dev

install-dev: $(UV)
	$(UV) sync --frozen

# A published secret for the shop webhook in development only, so the README's example can be tried against
# `make run`; a SHOP_WEBHOOK_SECRET in the environment wins.
DEV_SHOP_WEBHOOK_SECRET := development-shop-webhook-secret
RUN_SHOP_WEBHOOK_SECRET := $(or $(SHOP_WEBHOOK_SECRET),$(DEV_SHOP_WEBHOOK_SECRET))

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py demo_login
	@echo "Shop webhook: POST http://$(HOST):$(PORT)/hooks/shop/orders signed with SHOP_WEBHOOK_SECRET=$(RUN_SHOP_WEBHOOK_SECRET)"
	@echo "Shopify and WooCommerce: POST http://$(HOST):$(PORT)/hooks/shopify/ and /hooks/woocommerce/ once SHOPIFY_WEBHOOK_SECRET, SHOPIFY_SHOP_DOMAINS and WOOCOMMERCE_WEBHOOK_SECRET are set (README: Shopify and WooCommerce)"
	@echo "Mail is printed here, in this terminal, unless EMAIL_URL says otherwise."
	@echo "Helpdesk: pipe a mail into '$(PY) manage.py receive_email' to open a ticket; the Customer Portal is http://$(HOST):$(PORT)/portal/"
	@echo "Serving http://$(HOST):$(PORT)/ — press Ctrl+C to stop."
	@echo "A background worker runs beside the server (exports, bulk changes, mail, the daily Trash purge)."
	SHOP_WEBHOOK_SECRET=$(RUN_SHOP_WEBHOOK_SECRET) scripts/serve $(HOST) $(PORT)

test: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

# The same suite against a throwaway PostgreSQL 15 cluster.
test-postgres: install-dev
	scripts/with-postgres $(MAKE) test

# Every benchmark in one run, each beside its peers (the stock Django admin, COPY, plain SQL), on a dataset
# of S = 10k, M = 100k or L = 1M contacts built once per database (see bench/run.py). SQLite gets a file of
# its own unless DATABASE_URL names a database, e.g.
#   scripts/with-postgres make bench SIZE=M
SIZE ?= M
BENCH_DATABASE_URL := $(or $(DATABASE_URL),sqlite:///$(CURDIR)/.cache/bench-$(SIZE).sqlite3)

bench: install-dev
	mkdir -p .cache
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/data.py --size $(SIZE) --if-empty
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/run.py --size $(SIZE)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/jobs.py

clean:
	rm -rf .venv $(UV_HOME) staticfiles .pytest_cache .ruff_cache
