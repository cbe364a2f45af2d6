# Each target is idempotent and does its own setup on a fresh machine.
.PHONY: setup run test bench bench-large lint format screenshots pot

setup:          ## Python deps, Odoo 19.0 (ODOO_SRC, installed, or upstream), config
	scripts/setup.sh --browser

run:            ## demo database with the addon and demo data, served on localhost:8069
	scripts/run.sh

test:           ## fresh test database, addon installed, tests under pytest-odoo
	scripts/test.sh

screenshots:    ## re-take the README's screenshots: the browser tours, saving PNGs to sales_sequence/static/description/
	SALES_SEQUENCE_SCREENSHOTS=$(CURDIR)/sales_sequence/static/description scripts/test.sh -k TestSalesSequenceUi

pot:            ## export the translation template sales_sequence/i18n/sales_sequence.pot (from DB, default: the test database)
	python3 -m odoo i18n export -c var/odoo.conf -d $${DB:-sales_sequence_test} sales_sequence -o sales_sequence/i18n/sales_sequence.pot

bench:          ## performance benchmark (N=10000 by default; PARALLEL=20000 due emails on two real servers, 0 skips)
	scripts/setup.sh
	python3 bench/bench.py --n $${N:-10000} --parallel $${PARALLEL:-20000} --db $${BENCH_DB:-ss_bench}

bench-large:    ## large data benchmark, not run by CI: idle tick over 1,000,000 enrollments, 100,000 bulk enrollments
	scripts/setup.sh
	python3 bench/large.py --enrollments $${ENROLLMENTS:-1000000} --bulk $${BULK:-100000} --db $${BENCH_DB:-ss_bench}_large

lint:           ## ruff (pyflakes, bugbear, isort, pyupgrade; .ruff.toml), ruff format --check, pylint-odoo (.pylintrc)
	python3 -m pip install --disable-pip-version-check --root-user-action=ignore -q -r requirements-lint.txt
	python3 -m ruff check .
	python3 -m ruff format --check .
	python3 -m pylint --rcfile=.pylintrc sales_sequence sales_sequence_queue

format:         ## apply ruff's fixes and formatting
	python3 -m ruff check --fix .
	python3 -m ruff format .
