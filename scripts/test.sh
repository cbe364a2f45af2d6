#!/usr/bin/env bash
# The test command: a fresh database with sales_sequence (and its demo data)
# installed, with sale, account and event when present (the ERP-signal
# tests), then the addon's tests under pytest-odoo against the real
# PostgreSQL; then a second fresh database with the queue_job bridge
# (sales_sequence_queue, which brings OCA queue_job) and the bridge's tests.
# The first database never has queue_job: its suite tests the cron engine.
# Extra arguments go to both pytest runs (e.g. -k engine); SALES_SEQUENCE_QUEUE=0
# skips the bridge.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
DB=${TEST_DB:-sales_sequence_test}
QUEUE_DB=${TEST_QUEUE_DB:-${DB}_queue}
with_queue=${SALES_SEQUENCE_QUEUE:-1}

"$here/scripts/setup.sh" --browser
cd "$here"

install() {  # $1: database, $2: modules, then extra options; fails on any logged error
    local db=$1 modules=$2 log=var/install-$1.log
    shift 2
    echo "[test] creating database $db with $modules"
    dropdb --if-exists "$db"
    : > "$log"  # Odoo appends to its log file: check this install only
    "$PYTHON" -m odoo -c var/odoo.conf -d "$db" -i "$modules" "$@" \
        --stop-after-init --log-level=warn --logfile="$log" \
        || { tail -n 60 "$log"; exit 1; }
    if grep -E " (ERROR|CRITICAL) |demo data failed to install" "$log"; then
        echo "[test] the install logged errors ($log)" >&2
        exit 1
    fi
}

run_pytest() {  # $1: database, $2: tests, then pytest arguments; "no test selected" is not a failure
    local db=$1 tests=$2 status=0
    shift 2
    "$PYTHON" -m pytest "$tests" \
        --odoo-config=var/odoo.conf --odoo-database="$db" --odoo-http \
        --odoo-log-level=warn -p no:cacheprovider -q "$@" || status=$?
    [ $status -eq 0 ] || [ $status -eq 5 ] || return $status
}

# Community modules only the tests use (the ERP-signal tests: quotations,
# invoices, event registrations; senders away on approved time off), installed
# when the addons path has them. SALES_SEQUENCE_TEST_MODULES changes the list
# (empty: none; hr_holidays adds about a minute to the install).
wanted=${SALES_SEQUENCE_TEST_MODULES-sale,account,event,hr_holidays}
extra=$("$PYTHON" -c '
import sys
from odoo.tools import config
config.parse_config(["-c", "var/odoo.conf"], setup_logging=False)
from odoo.modules.module import get_module_path
print(",".join(name for name in sys.argv[1].split(",") if name and get_module_path(name, display_warning=False)))
' "$wanted")

install "$DB" "sales_sequence${extra:+,$extra}" --with-demo
queue_job_sql="SELECT 1 FROM ir_module_module WHERE name = 'queue_job' AND state = 'installed'"
if [ -n "$(psql -d "$DB" -Atc "$queue_job_sql")" ]; then
    echo "[test] queue_job is installed in $DB: its suite would not test the cron engine" >&2
    exit 1
fi
if [ "$with_queue" = 1 ]; then
    install "$QUEUE_DB" sales_sequence_queue
fi

# The slow suites (test_concurrency.py, and the bridge's test_queue_processes.py:
# engine workers and Odoo servers in separate processes on their own throw-away
# databases, a few minutes each) run too unless SALES_SEQUENCE_FAST=1.
if [ "${SALES_SEQUENCE_FAST:-0}" != 1 ]; then
    export SALES_SEQUENCE_SLOW=1
fi

echo "[test] running the tests (slow suite: ${SALES_SEQUENCE_SLOW:-off})"
run_pytest "$DB" sales_sequence/tests "$@"
if [ "$with_queue" = 1 ]; then
    echo "[test] running the queue_job bridge's tests on $QUEUE_DB"
    run_pytest "$QUEUE_DB" sales_sequence_queue/tests "$@"
fi
