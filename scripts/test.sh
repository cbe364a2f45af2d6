#!/usr/bin/env bash
# The test command: a fresh database with sales_sequence (and its demo data)
# installed, then the addon's tests under pytest-odoo against the real
# PostgreSQL. Extra arguments go to pytest (e.g. -k engine).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
DB=${TEST_DB:-sales_sequence_test}

"$here/scripts/setup.sh" --browser
cd "$here"

# Community modules only the tests use (the ERP-signal tests: quotations,
# invoices, event registrations), installed when the addons path has them.
# SALES_SEQUENCE_TEST_MODULES changes the list (empty: none; add hr_holidays to
# test absences with real time off, at about twice the install time).
wanted=${SALES_SEQUENCE_TEST_MODULES-sale,account,event}
extra=$("$PYTHON" -c '
import sys
from odoo.tools import config
config.parse_config(["-c", "var/odoo.conf"], setup_logging=False)
from odoo.modules.module import get_module_path
print(",".join(name for name in sys.argv[1].split(",") if name and get_module_path(name, display_warning=False)))
' "$wanted")
modules="sales_sequence${extra:+,$extra}"

echo "[test] creating database $DB with $modules and their demo data"
dropdb --if-exists "$DB"
: > var/install.log  # Odoo appends to its log file: check this install only
"$PYTHON" -m odoo -c var/odoo.conf -d "$DB" -i "$modules" --with-demo \
    --stop-after-init --log-level=warn --logfile=var/install.log \
    || { tail -n 60 var/install.log; exit 1; }
if grep -E " (ERROR|CRITICAL) |demo data failed to install" var/install.log; then
    echo "[test] the install logged errors (var/install.log)" >&2
    exit 1
fi

# The slow suite (test_concurrency.py: engine workers in separate processes on
# their own throw-away database, a few minutes) runs too unless SALES_SEQUENCE_FAST=1.
if [ "${SALES_SEQUENCE_FAST:-0}" != 1 ]; then
    export SALES_SEQUENCE_SLOW=1
fi

echo "[test] running the tests (slow suite: ${SALES_SEQUENCE_SLOW:-off})"
"$PYTHON" -m pytest sales_sequence/tests \
    --odoo-config=var/odoo.conf --odoo-database="$DB" --odoo-http \
    --odoo-log-level=warn -p no:cacheprovider -q "$@"
