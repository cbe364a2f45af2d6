#!/usr/bin/env bash
# The product: a demo database with sales_sequence and its demo data, served
# on localhost. Reuses the database when it exists (DB=... to choose it).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
DB=${DB:-sales_sequence_demo}
PORT=${PORT:-8069}

"$here/scripts/setup.sh"
cd "$here"

if ! psql -lqt | cut -d '|' -f 1 | grep -qw "$DB"; then
    echo "[run] creating the demo database $DB (a few minutes, once)"
    "$PYTHON" -m odoo -c var/odoo.conf -d "$DB" -i sales_sequence --with-demo \
        --stop-after-init --log-level=warn
else
    "$PYTHON" -m odoo -c var/odoo.conf -d "$DB" -u sales_sequence \
        --stop-after-init --log-level=warn
fi

cat <<MSG

  Sales Sequences demo: http://localhost:$PORT/odoo/action-sales_sequence.action_sales_sequence
  Login: admin / admin    (database: $DB)

MSG
exec "$PYTHON" -m odoo -c var/odoo.conf -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$PORT"
