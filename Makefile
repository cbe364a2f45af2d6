# Each target is idempotent and does its own setup on a fresh machine.
.PHONY: setup run test bench lint

setup:          ## Python deps, Odoo 19.0 (ODOO_SRC, installed, or upstream), config
	scripts/setup.sh --browser

run:            ## demo database with the addon and demo data, served on localhost:8069
	scripts/run.sh

test:           ## fresh test database, addon installed, tests under pytest-odoo
	scripts/test.sh

bench:          ## performance benchmark (N=10000 by default)
	scripts/setup.sh
	python3 bench/bench.py --n $${N:-10000}

lint:
	python3 -m pyflakes sales_sequence bench || true
