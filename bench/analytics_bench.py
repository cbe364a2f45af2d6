#!/usr/bin/env python3
"""Benchmark of the sales_sequence analytics: ``python3 bench/analytics_bench.py``.

Builds a throw-away database (a copy of a template with the addon installed
without demo data), inserts with plain SQL the history of SEQUENCES sequences
of four steps (email with an A/B variant, LinkedIn, email, call) with
TRACES traces each (TRACES / 4 enrollments per sequence, in every state and
ending, a tenth of them on leads of which a fifth are won), then measures in
one run:

  sequence_metrics   every metric of the SEQUENCES sequences (what the list,
                     the compare view and the dashboard compute), cold caches
  step_metrics       every metric of their steps (the Analytics tab's funnel)
  variant_metrics    every metric of their variants
  dashboard          the summary cards over all of them

and prints seconds, SQL queries and SQL seconds for each, then one
``name: value`` line per figure.
"""

import argparse
import os
import sys
from pathlib import Path

import dbtools
import measures

ROOT = Path(__file__).resolve().parents[1]
METRICS = [
    "enrolled_count",
    "active_count",
    "completed_count",
    "contacted_count",
    "sent_count",
    "opened_count",
    "clicked_count",
    "replied_count",
    "bounced_count",
    "unsubscribed_count",
    "meeting_count",
    "dropped_count",
    "task_count",
    "task_done_count",
    "won_count",
    "won_revenue",
    "open_rate",
    "click_rate",
    "reply_rate",
]
STAGES = ("sequence_metrics", "step_metrics", "variant_metrics", "dashboard")
STEPS = 4


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequences", type=int, default=50, help="sequences to measure")
    parser.add_argument("--traces", type=int, default=10_000, help="traces per sequence (a multiple of 4)")
    parser.add_argument("--db", default="ss_analytics_bench", help="working database (dropped at the end)")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo.conf"), help="Odoo configuration file")
    parser.add_argument("--keep", action="store_true", help="keep the working database")
    parser.add_argument("--fresh", action="store_true", help="reinstall the template database")
    return parser.parse_args(argv)


def say(message):
    print("[analytics-bench] %s" % message, flush=True)


# ----------------------------------------------------------------------
# Data (untimed)
# ----------------------------------------------------------------------


def create_sequences(env, count):
    """``count`` active sequences of four steps, the first email with a variant."""
    Sequence = env["sales.sequence"]
    sequences = Sequence.create(
        [
            {
                "name": "Analytics bench %s" % index,
                "tz": "Europe/Brussels",
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "sequence": 1,
                            "step_type": "email",
                            "subject": "Hi {{ first_name }}",
                            "body_html": "<p>Hello</p>",
                            "variant_ids": [(0, 0, {"subject": "Hey {{ first_name }}", "body_html": "<p>Hey</p>"})],
                        },
                    ),
                    (0, 0, {"sequence": 2, "step_type": "linkedin", "delay_days": 1, "wait_for_completion": False}),
                    (
                        0,
                        0,
                        {
                            "sequence": 3,
                            "step_type": "email",
                            "delay_days": 2,
                            "subject": "Follow-up",
                            "body_html": "<p>Again</p>",
                        },
                    ),
                    (0, 0, {"sequence": 4, "step_type": "call", "delay_days": 2}),
                ],
            }
            for index in range(count)
        ]
    )
    sequences.action_activate()
    env.cr.commit()
    return sequences


def insert_history(env, sequences, per_sequence):
    """Contacts, leads, enrollments and traces with plain SQL (the ORM would
    take long and measure nothing useful)."""
    env.flush_all()
    cr = env.cr
    sender = env.ref("base.user_admin")
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, email, active, type, lang,
                                 create_uid, write_uid, create_date, write_date)
             SELECT 'Bench Prospect ' || n, 'Bench Prospect ' || n, 'p' || n || '@bench.example.com',
                    TRUE, 'contact', 'en_US', 1, 1, now() at time zone 'UTC', now() at time zone 'UTC'
               FROM generate_series(1, %s) n
          RETURNING id
    """,
        [per_sequence],
    )
    partner_ids = [row[0] for row in cr.fetchall()]
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
    for sequence in sequences:
        steps = sequence.step_ids
        cr.execute(
            ENROLLMENTS_SQL,
            {
                "sequence": sequence.id,
                "company": sequence.company_id.id,
                "user": sender.id,
                "partners": partner_ids,
                "last_step": steps[-1].id,
            },
        )
        cr.execute(
            TRACES_SQL,
            {
                "sequence": sequence.id,
                "steps": steps.ids,
                "types": steps.mapped("step_type"),
                "variant": steps[0].variant_ids.id,
            },
        )
    cr.execute(LEADS_SQL, {"company": sequences[0].company_id.id, "user": sender.id})
    cr.commit()
    for table in ("res_partner", "crm_lead", "sales_sequence_enrollment", "sales_sequence_trace"):
        cr.execute("ANALYZE %s" % table)
        # a first full read sets the rows' hint bits (a write), as any table
        # older than a bulk insert has them: the stages then measure reads only
        cr.execute("SELECT COUNT(*) FROM %s" % table)
    cr.commit()
    env.invalidate_all()


# one enrollment per contact and sequence; n % 10 decides the ending:
# 0-1 active, 2 paused, 3-4 completed, 5 reply, 6 bounce, 7 unsubscribed, 8 meeting, 9 manual
ENROLLMENTS_SQL = """
    INSERT INTO sales_sequence_enrollment (
           sequence_id, company_id, partner_id, user_id, step_id, state, exit_reason,
           enrolled_at, ended_at, create_uid, write_uid, create_date, write_date)
    SELECT %(sequence)s, %(company)s, partner.id, %(user)s,
           CASE WHEN partner.n %% 10 < 3 THEN %(last_step)s END,
           (ARRAY['active', 'active', 'paused', 'completed', 'completed', 'exited', 'exited', 'exited',
                  'exited', 'exited'])[partner.n %% 10 + 1],
           (ARRAY[NULL, NULL, NULL, 'completed', 'completed', 'reply', 'bounce', 'unsubscribed',
                  'meeting', 'manual'])[partner.n %% 10 + 1],
           now() at time zone 'UTC' - interval '30 days',
           CASE WHEN partner.n %% 10 >= 3 THEN now() at time zone 'UTC' - interval '5 days' END,
           1, 1, now() at time zone 'UTC', now() at time zone 'UTC'
      FROM unnest(%(partners)s::int[]) WITH ORDINALITY AS partner(id, n)
"""

# four traces per enrollment, one per step, a day apart; emails opened 40%%,
# clicked 10%%; replies on the second email; bounces on the first
TRACES_SQL = """
    INSERT INTO sales_sequence_trace (
           enrollment_id, sequence_id, step_id, step_type, variant_id, state, message_id,
           sent_at, opened_at, clicked_at, replied_at, bounced_at, open_count, click_count,
           create_uid, write_uid, create_date, write_date)
    SELECT enrollment.id, %(sequence)s, step.id, step.type,
           CASE WHEN step.n = 1 AND enrollment.id %% 2 = 0 THEN %(variant)s END,
           CASE WHEN step.type = 'email' AND enrollment.exit_reason = 'bounce' AND step.n = 1 THEN 'failed'
                WHEN step.type = 'email' THEN 'sent'
                WHEN enrollment.id %% 3 = 0 THEN 'task'
                ELSE 'done' END,
           CASE WHEN step.type = 'email' THEN '<' || enrollment.id || '.' || step.id || '@bench>' END,
           enrollment.enrolled_at + step.n * interval '1 day',
           CASE WHEN step.type = 'email' AND enrollment.id %% 5 < 2
                THEN enrollment.enrolled_at + step.n * interval '1 day' + interval '1 hour' END,
           CASE WHEN step.type = 'email' AND enrollment.id %% 10 = 0
                THEN enrollment.enrolled_at + step.n * interval '1 day' + interval '2 hours' END,
           CASE WHEN step.n = 3 AND enrollment.exit_reason = 'reply'
                THEN enrollment.enrolled_at + interval '4 days' END,
           CASE WHEN step.n = 1 AND enrollment.exit_reason = 'bounce'
                THEN enrollment.enrolled_at + interval '1 day' END,
           CASE WHEN step.type = 'email' AND enrollment.id %% 5 < 2 THEN 1 ELSE 0 END,
           CASE WHEN step.type = 'email' AND enrollment.id %% 10 = 0 THEN 1 ELSE 0 END,
           1, 1, now() at time zone 'UTC', now() at time zone 'UTC'
      FROM sales_sequence_enrollment enrollment
     CROSS JOIN unnest(%(steps)s::int[], %(types)s::varchar[]) WITH ORDINALITY AS step(id, type, n)
     WHERE enrollment.sequence_id = %(sequence)s
"""

# a lead for a tenth of the enrollments (moved onto it), a fifth of them won
LEADS_SQL = """
    WITH chosen AS (
        SELECT id, partner_id, row_number() OVER (ORDER BY id) AS n
          FROM sales_sequence_enrollment WHERE id %% 10 = 4
    ), lead AS (
        INSERT INTO crm_lead (name, type, active, company_id, user_id, partner_id, expected_revenue,
                              probability, won_status, date_closed, create_uid, write_uid, create_date, write_date)
        SELECT 'Bench deal ' || chosen.id, 'opportunity', TRUE, %(company)s, %(user)s, chosen.partner_id,
               1000 + chosen.n %% 50 * 100,
               CASE WHEN chosen.n %% 5 = 0 THEN 100 ELSE 10 END,
               CASE WHEN chosen.n %% 5 = 0 THEN 'won' ELSE 'pending' END,
               CASE WHEN chosen.n %% 5 = 0 THEN now() at time zone 'UTC' - interval '20 days' END,
               1, 1, now() at time zone 'UTC', now() at time zone 'UTC'
          FROM chosen
     RETURNING id, name
    )
    UPDATE sales_sequence_enrollment enrollment
       SET lead_id = lead.id
      FROM lead
     WHERE lead.name = 'Bench deal ' || enrollment.id
"""


# ----------------------------------------------------------------------
# Measures
# ----------------------------------------------------------------------


def measure_read(env, model, ids, fnames):
    """Read ``fnames`` of ``ids`` with cold caches; the Measure's items are the records."""
    env.invalidate_all()
    with measures.measuring() as holder:
        env[model].browse(ids).read(fnames)
        holder["items"] = len(ids)
    return holder["measure"]


def measure_dashboard(env, sequences):
    env.invalidate_all()
    with measures.measuring() as holder:
        env["sales.sequence"].get_dashboard_data([("id", "in", sequences.ids)])
        holder["items"] = len(sequences)
    return holder["measure"]


def run(env, args):
    say("creating %d sequences of %d steps" % (args.sequences, STEPS))
    sequences = create_sequences(env, args.sequences)
    per_sequence = args.traces // STEPS
    say("inserting %d enrollments and %d traces per sequence (SQL)" % (per_sequence, per_sequence * STEPS))
    insert_history(env, sequences, per_sequence)
    env.cr.execute("SELECT COUNT(*) FROM sales_sequence_trace WHERE sequence_id IN %s", [tuple(sequences.ids)])
    traces = env.cr.fetchone()[0]
    say("%d traces in the measured sequences" % traces)
    return traces, {
        "sequence_metrics": measure_read(env, "sales.sequence", sequences.ids, METRICS),
        "step_metrics": measure_read(env, "sales.sequence.step", sequences.step_ids.ids, METRICS),
        "variant_metrics": measure_read(
            env, "sales.sequence.step.variant", sequences.step_ids.variant_ids.ids, METRICS
        ),
        "dashboard": measure_dashboard(env, sequences),
    }


def print_report(traces, results, args):
    print()
    print(
        "sales_sequence analytics benchmark: %d sequences x %d traces (%d traces), nproc=%d, "
        "load average %.2f (one run)" % (args.sequences, args.traces, traces, os.cpu_count(), os.getloadavg()[0])
    )
    print("%-18s %9s %9s %8s %8s" % ("stage", "seconds", "queries", "SQL s", "records"))
    for name in STAGES:
        measure = results[name]
        print(
            "%-18s %9.3f %9d %8.3f %8d" % (name, measure.seconds, measure.queries, measure.sql_seconds, measure.items)
        )
    print()
    for name in STAGES:
        print("%s_s: %s" % (name, round(results[name].seconds, 3)))
        print("%s_queries: %s" % (name, results[name].queries))


def main(argv=None):
    args = parse_args(argv)
    dbtools.load_odoo(args.config)
    with dbtools.throwaway_environment(args.db, args.config, args.fresh, args.keep, say) as env:
        traces, results = run(env, args)
    print_report(traces, results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
