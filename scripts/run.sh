#!/usr/bin/env bash
# The product: a demo database with sales_sequence and its demo data, served
# on localhost. Reuses the database when it exists (DB=... to choose it).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
DB=${DB:-sales_sequence_demo}
PORT=${PORT:-8069}
# the demo's mailbox (scripts/mail_sink.py): Odoo sends every email there
MAIL_DIR=${MAIL_DIR:-var/mail}
MAIL_SINK_SMTP_PORT=${MAIL_SINK_SMTP_PORT:-8025}
MAIL_SINK_HTTP_PORT=${MAIL_SINK_HTTP_PORT:-8026}

"$here/scripts/setup.sh"
cd "$here"

fresh=0
if ! psql -lqt | cut -d '|' -f 1 | grep -qw "$DB"; then
    fresh=1
    echo "[run] creating the demo database $DB (a few minutes, once)"
    "$PYTHON" -m odoo -c var/odoo.conf -d "$DB" -i sales_sequence --with-demo \
        --stop-after-init --log-level=warn \
        || { echo "[run] the install failed: dropping $DB" >&2; dropdb --if-exists "$DB"; exit 1; }
else
    "$PYTHON" -m odoo -c var/odoo.conf -d "$DB" -u sales_sequence \
        --stop-after-init --log-level=warn
fi

echo "[run] outgoing mail to the local sink, alias domain example.com, engine every minute"
DEMO_FRESH=$fresh MAIL_SINK_SMTP_PORT=$MAIL_SINK_SMTP_PORT PORT=$PORT \
    "$PYTHON" -m odoo shell -c var/odoo.conf -d "$DB" --no-http --log-level=warn \
    < scripts/demo_setup.py

"$PYTHON" scripts/mail_sink.py --dir "$MAIL_DIR" --smtp-port "$MAIL_SINK_SMTP_PORT" \
    --http-port "$MAIL_SINK_HTTP_PORT" --odoo-url "http://127.0.0.1:$PORT" --db "$DB" &
sink_pid=$!
trap 'kill $sink_pid 2>/dev/null || true' EXIT

cat <<MSG

  Sales Sequences demo: http://localhost:$PORT/odoo/action-sales_sequence.action_sales_sequence
  Login: admin / admin    (database: $DB)
  Sent mail: http://localhost:$MAIL_SINK_HTTP_PORT/  (files in $MAIL_DIR/)

MSG
"$PYTHON" -m odoo -c var/odoo.conf -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$PORT"
