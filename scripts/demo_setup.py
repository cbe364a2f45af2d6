"""Wire the demo database to the demo's mailbox, for `make run` (scripts/run.sh).

Run inside `odoo shell` (which gives `env`), idempotently:

* outgoing mail goes to the local SMTP sink (scripts/mail_sink.py) on
  127.0.0.1:$MAIL_SINK_SMTP_PORT: an `ir.mail_server` "Demo mail sink" allowed to
  send as anyone @example.com (the demo users), so emails leave from the rep;
* links in emails (unsubscribe, tracking) point at http://localhost:$PORT;
* the company has the alias domain "example.com" with its catchall
  (catchall@example.com) and bounce addresses, so that sequence emails carry a
  Reply-To that Odoo routes back, and replies can be simulated;
* the sequence engine and the mail queue run every minute;
* with DEMO_FRESH=1 (a database just created), the demo enrollments that wait
  for their first step get it due now, so the first emails show up in the
  mailbox within a minute or two.
"""

import os

from odoo import fields

smtp_port = int(os.environ.get("MAIL_SINK_SMTP_PORT", "8025"))
http_port = int(os.environ.get("PORT", "8069"))
fresh = os.environ.get("DEMO_FRESH") == "1"

# 1. outgoing mail -> the sink
server_values = {
    "name": "Demo mail sink (scripts/mail_sink.py)",
    "smtp_host": "127.0.0.1",
    "smtp_port": smtp_port,
    "smtp_encryption": "none",
    "smtp_authentication": "login",
    "smtp_user": False,
    "smtp_pass": False,
    "from_filter": "example.com",
    "sequence": 1,
}
server = (
    env["ir.mail_server"]
    .with_context(active_test=False)
    .search([("smtp_host", "=", "127.0.0.1"), ("name", "like", "Demo mail sink")], limit=1)
)
if server:
    server.write(dict(server_values, active=True))
else:
    env["ir.mail_server"].create(server_values)

env["ir.config_parameter"].sudo().set_param("web.base.url", "http://localhost:%s" % http_port)

# 2. alias domain with catchall, for replies
alias_domain = env["mail.alias.domain"].search([("name", "=", "example.com")], limit=1)
if not alias_domain:
    alias_domain = env["mail.alias.domain"].create(
        {
            "name": "example.com",
            "catchall_alias": "catchall",
            "bounce_alias": "bounce",
            "default_from": "notifications",
        }
    )
env.company.alias_domain_id = alias_domain

# 3. crons every minute
for xmlid in ("sales_sequence.ir_cron_process_due", "mail.ir_cron_mail_scheduler_action"):
    cron = env.ref(xmlid, raise_if_not_found=False)
    if cron:
        cron.write({"active": True, "interval_number": 1, "interval_type": "minutes"})

# 4. a fresh demo: the first steps are due now
if fresh:
    now = fields.Datetime.now()
    Enrollment = env["sales.sequence.enrollment"]
    waiting = Enrollment.search([("state", "=", "active"), ("next_run_at", ">", now)])
    first_step = waiting.filtered(lambda e: e.step_id == e.sequence_id.step_ids[:1])
    first_step.write({"next_run_at": now})
    print("[run] %d demo enrollment(s) due now" % len(first_step))
    env.ref("sales_sequence.ir_cron_process_due")._trigger()

env.cr.commit()
print("[run] demo mail: SMTP sink on 127.0.0.1:%s, alias domain %s" % (smtp_port, alias_domain.name))
