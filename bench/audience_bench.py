#!/usr/bin/env python3
"""Benchmark of the live audience sync: ``python3 bench/audience_bench.py``.

Builds a throw-away database (a copy of a template with the addon installed
without demo data), inserts with plain SQL N contacts (100,000 by default)
tagged "Audience", and an active sequence whose live audience is "contacts
with that tag" (automatic enrollment on, first step a day later so that the
engine runs only the sync). Then, in one run, it measures engine runs
(``_cron_process_due`` in the cron's context: it commits after each sequence,
the cron's time budget lifted):

  first_run      N contacts match, none enrolled yet: the run enrolls them
                 all (``--run-limit``, default N: one run; the product's
                 default is 5,000 per sequence and run)
  steady_run     the next run: N match, all went through, nothing to do
  increment_run  INCREMENT more contacts get the tag: the run enrolls them,
                 beside the N that went through

and prints seconds, SQL queries, SQL seconds and enrollments for each, then
one ``name: value`` line per figure. The steady and increment runs show that
a run's cost does not grow with the records that already went through.
"""

import argparse
import os
import sys
from pathlib import Path

import dbtools
import fixtures
import measures

from odoo import fields

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("first_run", "steady_run", "increment_run")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="contacts matching the audience")
    parser.add_argument("--increment", type=int, default=1_000, help="contacts that match later")
    parser.add_argument("--run-limit", type=int, help="records a run looks at per sequence (default: N)")
    parser.add_argument("--db", default="ss_audience_bench", help="working database (dropped at the end)")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo.conf"), help="Odoo configuration file")
    parser.add_argument("--keep", action="store_true", help="keep the working database")
    parser.add_argument("--fresh", action="store_true", help="reinstall the template database")
    parser.add_argument(
        "--profile",
        choices=STAGES,
        action="append",
        default=[],
        help="cProfile this stage (var/bench-<stage>.prof and a summary)",
    )
    return parser.parse_args(argv)


def say(message):
    print("[audience-bench] %s" % message, flush=True)


def check(condition, message):
    if not condition:
        raise RuntimeError("benchmark invalid: %s" % message)


# ----------------------------------------------------------------------
# Data (untimed)
# ----------------------------------------------------------------------


def insert_contacts(env, tag, count, offset, salesperson):
    """``count`` tagged contacts with an address and a salesperson, with plain SQL."""
    env.flush_all()
    cr = env.cr
    cr.execute(
        """
        WITH partner AS (
            INSERT INTO res_partner (name, complete_name, email, email_normalized, active, type, lang, user_id,
                                     create_uid, write_uid, create_date, write_date)
                 SELECT 'Audience Contact ' || n, 'Audience Contact ' || n,
                        'audience' || n || '@audience.example.com', 'audience' || n || '@audience.example.com',
                        TRUE, 'contact', 'en_US', %(user)s, 1, 1, now() at time zone 'UTC', now() at time zone 'UTC'
                   FROM generate_series(%(first)s, %(last)s) n
              RETURNING id
        )
        INSERT INTO res_partner_res_partner_category_rel (partner_id, category_id)
             SELECT partner.id, %(tag)s FROM partner
    """,
        {"first": offset + 1, "last": offset + count, "user": salesperson.id, "tag": tag.id},
    )
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
    cr.commit()
    cr.execute("ANALYZE res_partner")
    cr.execute("ANALYZE res_partner_res_partner_category_rel")
    env.invalidate_all()


def create_audience_sequence(env, owner, tag):
    sequence = fixtures.create_sequence(env, owner, name="Audience bench")
    sequence.step_ids.sorted("sequence")[0].delay_days = 1  # the runs measure the sync, nothing is due
    sequence.write(
        {
            "audience_model": "res.partner",
            "audience_domain": repr([("category_id", "in", tag.ids)]),
            "auto_enroll": True,
        }
    )
    env.cr.commit()
    return sequence


def count_enrollments(env, sequence):
    env.cr.execute("SELECT COUNT(*) FROM sales_sequence_enrollment WHERE sequence_id = %s", [sequence.id])
    return env.cr.fetchone()[0]


# ----------------------------------------------------------------------
# Runs (timed)
# ----------------------------------------------------------------------


def engine_run(env, now, sequence, profile_path=None):
    """One engine run, as the cron runs it; items: the enrollments it made."""
    Enrollment = measures.cron_model(env)
    env.invalidate_all()
    before = count_enrollments(env, sequence)
    with measures.measuring(profile_path) as holder:
        Enrollment._cron_process_due(now=now)
        env.cr.commit()
    measure = holder["measure"]
    measure.items = count_enrollments(env, sequence) - before
    return measure


class Bench:
    def __init__(self, env, args):
        self.env, self.args = env, args
        self.measures = {}

    def profile_path(self, stage):
        return ROOT / "var" / ("bench-%s.prof" % stage) if stage in self.args.profile else None

    def run(self):
        env, n = self.env, self.args.n
        env["ir.config_parameter"].set_param("sales_sequence.audience_run_limit", self.args.run_limit or n)
        owner = fixtures.create_sender(env)
        tag = env["res.partner.category"].create({"name": "Audience"})
        say("inserting %d tagged contacts (SQL)" % n)
        insert_contacts(env, tag, n, 0, owner)
        sequence = create_audience_sequence(env, owner, tag)
        now = fields.Datetime.now()
        say("first_run: %d contacts match, none enrolled" % n)
        self.measures["first_run"] = engine_run(env, now, sequence, self.profile_path("first_run"))
        check(
            self.measures["first_run"].items == min(n, self.args.run_limit or n),
            "first run enrolled %d" % self.measures["first_run"].items,
        )
        env.cr.execute("ANALYZE sales_sequence_enrollment")
        say("steady_run: %d match, all went through" % n)
        self.measures["steady_run"] = engine_run(env, now, sequence, self.profile_path("steady_run"))
        if not self.args.run_limit or self.args.run_limit >= n:
            check(self.measures["steady_run"].items == 0, "the steady run enrolled someone")
        say("increment_run: %d more contacts match" % self.args.increment)
        insert_contacts(env, tag, self.args.increment, n, owner)
        self.measures["increment_run"] = engine_run(env, now, sequence, self.profile_path("increment_run"))
        if not self.args.run_limit or self.args.run_limit >= n:
            check(
                self.measures["increment_run"].items == self.args.increment,
                "the increment run enrolled %d" % self.measures["increment_run"].items,
            )
        return self.measures


def print_report(results, args, load_before):
    print()
    print(
        "sales_sequence audience benchmark: N=%d, increment=%d, run limit=%s, nproc=%d, "
        "load average %.1f before, %.1f after (one run)"
        % (
            args.n,
            args.increment,
            args.run_limit or args.n,
            len(os.sched_getaffinity(0)),
            load_before,
            os.getloadavg()[0],
        )
    )
    row = "%-16s %10s %9s %8s %10s %14s"
    print(row % ("run", "seconds", "queries", "SQL s", "enrolled", "ms / enrolled"))
    for name in STAGES:
        measure = results[name]
        per = "%.2f" % (1000 * measure.seconds / measure.items) if measure.items else "-"
        print(row % (name, "%.3f" % measure.seconds, measure.queries, "%.2f" % measure.sql_seconds, measure.items, per))
    print()
    for name in STAGES:
        print("%s_s: %s" % (name, round(results[name].seconds, 3)))
        print("%s_queries: %s" % (name, results[name].queries))


def main(argv=None):
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    dbtools.load_odoo(args.config)
    with dbtools.throwaway_environment(args.db, args.config, args.fresh, args.keep, say) as env:
        results = Bench(env, args).run()
    print_report(results, args, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
