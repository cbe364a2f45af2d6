#!/usr/bin/env python3
"""Benchmark of the sales_sequence engine: ``make bench`` (``N=`` to change N).

Builds a throw-away database (a copy of a cached template with the addon
installed without demo data), then measures in one run:

  enroll_s           enroll N contacts into a 3-step sequence (email, call, email)
  process_s          the engine runs the N due first-step emails (render + queue), committed
  mass_mailing_s     the same N emails from Odoo's own bulk mailer (mass_mailing, archives kept)
  base_automation_s  the same N emails from a base.automation time rule + mail.template
  sql_floor_s        the same mail.message + mail.mail rows inserted with plain SQL
  idle_tick_s        one engine tick over 100,000 enrollments, none due (median of 5)
  queries_per_step   SQL queries per processed step during process_s

and prints a table (with, for information, ``orm_floor_s``: the same rows with
one ``mail.mail`` ORM ``create``), then one ``name: value`` line per figure.
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
FIGURES = ("enroll_s", "process_s", "mass_mailing_s", "base_automation_s", "sql_floor_s", "idle_tick_s",
           "queries_per_step")
GOALS = {  # figure: (comparison, bound), for N = 10,000 on 2 cores
    "enroll_s": ("<=", 5),
    "process_s": ("<=", 60),
    "idle_tick_s": ("<=", 1),
    "mass_mailing_s / process_s": (">=", 1),
    "base_automation_s / process_s": (">=", 3),
    "process_s / sql_floor_s": ("<=", 10),
}
STAGES = ("enroll", "process", "mass_mailing", "base_automation", "sql_floor", "orm_floor")
# the benchmark's template database: mass_mailing is installed there only (the addon does not depend on it)
MODULES = ("sales_sequence", "mass_mailing")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="contacts to enroll and emails to produce")
    parser.add_argument("--idle", type=int, default=100_000, help="enrollments, none due, for idle_tick_s")
    parser.add_argument("--db", default="ss_bench", help="working database (dropped at the end)")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo.conf"), help="Odoo configuration file")
    parser.add_argument("--batch-size", type=int, help="engine batch size (default: the engine's)")
    parser.add_argument("--keep", action="store_true", help="keep the working database")
    parser.add_argument("--fresh", action="store_true", help="reinstall the template database")
    parser.add_argument("--profile", choices=STAGES, action="append", default=[],
                        help="cProfile this stage (var/bench-<stage>.prof and a summary)")
    return parser.parse_args(argv)


def say(message):
    print("[bench] %s" % message, flush=True)


def check(condition, message):
    if not condition:
        raise RuntimeError("benchmark invalid: %s" % message)


class Bench:
    """One run: data set-up (untimed), then the stages in order."""

    def __init__(self, env, args):
        self.env, self.args = env, args
        self.measures = {}

    def profile_path(self, stage):
        return ROOT / "var" / ("bench-%s.prof" % stage) if stage in self.args.profile else None

    def run(self):
        env, n = self.env, self.args.n
        if self.args.batch_size:
            env["ir.config_parameter"].set_param("sales_sequence.batch_size", self.args.batch_size)
        say("creating %d contacts, the sender and the sequence" % n)
        self.sender = fixtures.create_sender(env)
        partners = fixtures.create_contacts(env, n, self.sender)
        self.sequence = fixtures.create_sequence(env, self.sender)
        env.cr.commit()
        self.run_engine(partners)
        self.run_mass_mailing()
        self.run_base_automation()
        self.run_floors(partners)
        self.run_idle_ticks()
        return self.measures

    def run_engine(self, partners):
        n = self.args.n
        say("enroll_s: enrolling %d contacts" % n)
        measure = measures.enroll(self.env, self.sequence, partners, self.profile_path("enroll"))
        check(measure.items == n, "%d enrolled out of %d" % (measure.items, n))
        self.measures["enroll_s"] = measure
        self.now = fields.Datetime.now()
        say("process_s: the engine runs the %d due emails" % n)
        measure, processed = measures.process_due(self.env, self.now, self.profile_path("process"))
        check(processed == n and measure.items == n, "%d processed, %d emails" % (processed, measure.items))
        self.measures["process_s"] = measure

    def run_mass_mailing(self):
        say("mass_mailing_s: Odoo's mass mailing sends the same %d emails" % self.args.n)
        mailing = fixtures.create_mailing(self.env, self.sender)
        self.env.cr.commit()
        measure = measures.mass_mailing(self.env, mailing, self.profile_path("mass_mailing"))
        check(measure.items == self.args.n, "mass_mailing queued %d emails" % measure.items)
        self.measures["mass_mailing_s"] = measure

    def run_base_automation(self):
        say("base_automation_s: a time-based rule sends the same %d emails" % self.args.n)
        fixtures.create_time_based_rule(self.env)
        self.env.cr.commit()
        measure = measures.base_automation(self.env, self.profile_path("base_automation"))
        check(measure.items == self.args.n, "base.automation queued %d emails" % measure.items)
        self.measures["base_automation_s"] = measure

    def run_floors(self, partners):
        say("sql_floor_s: inserting %d mail.message + mail.mail rows with SQL" % self.args.n)
        rows = measures.prerender(self.env, partners.ids, self.sender)
        measure = measures.sql_floor(self.env, rows, self.sender, self.profile_path("sql_floor"))
        check(measure.items == self.args.n, "SQL inserted %d emails" % measure.items)
        self.measures["sql_floor_s"] = measure
        say("orm_floor_s (information): the same rows with one mail.mail create")
        rows = measures.prerender(self.env, partners.ids, self.sender)
        measure = measures.orm_floor(self.env, rows, self.sender, self.profile_path("orm_floor"))
        check(measure.items == self.args.n, "the ORM created %d emails" % measure.items)
        self.measures["orm_floor_s"] = measure

    def run_idle_ticks(self):
        say("idle_tick_s: %d enrollments, none due (SQL insert), then engine ticks" % self.args.idle)
        idle_sequence = fixtures.create_sequence(self.env, self.sender, name="Bench idle")
        fixtures.insert_idle_enrollments(self.env, idle_sequence, self.sender, self.args.idle, self.now)
        ticks = measures.idle_ticks(self.env, self.now)
        check(all(tick.items == 0 for tick in ticks), "an idle tick processed enrollments")
        self.measures["idle_tick_s"] = sorted(ticks, key=lambda tick: tick.seconds)[len(ticks) // 2]  # median


RATIOS = {  # name: (numerator, denominator)
    "queries_per_step": None,
    "mass_mailing_s / process_s": ("mass_mailing_s", "process_s"),
    "base_automation_s / process_s": ("base_automation_s", "process_s"),
    "process_s / sql_floor_s": ("process_s", "sql_floor_s"),
    "process_s / orm_floor_s": ("process_s", "orm_floor_s"),
}
TIMED_ROWS = ("enroll_s", "process_s", "mass_mailing_s", "base_automation_s", "sql_floor_s", "orm_floor_s", "idle_tick_s")


def figures(results):
    values = {name: measure.seconds for name, measure in results.items()}
    process = results["process_s"]
    values["queries_per_step"] = process.queries / process.items
    for name, operands in RATIOS.items():
        if operands:
            values[name] = values[operands[0]] / values[operands[1]]
    return values


def verdict(name, value):
    if name not in GOALS:
        return "", "(info)" if name not in FIGURES else ""
    comparison, bound = GOALS[name]
    met = value <= bound if comparison == "<=" else value >= bound
    return "%s %s" % (comparison, bound), "ok" if met else "MISSED"


def print_report(results, args, load_before):
    values = figures(results)
    print()
    print("sales_sequence benchmark: N=%d, idle=%d, nproc=%d, load average %.1f before, %.1f after (one run)"
          % (args.n, args.idle, len(os.sched_getaffinity(0)), load_before, os.getloadavg()[0]))
    row = "%-30s %10s %9s %8s %8s  %-7s %s"
    print(row % ("figure", "value", "queries", "SQL s", "items", "goal", ""))
    for name in TIMED_ROWS:
        measure = results[name]
        print(row % (name, "%.3f" % values[name], measure.queries, "%.2f" % measure.sql_seconds,
                     measure.items, *verdict(name, values[name])))
    for name in RATIOS:
        print(row % (name, "%.2f" % values[name], "", "", "", *verdict(name, values[name])))
    print()
    for name in FIGURES:
        print("%s: %s" % (name, round(values[name], 3)))


def main(argv=None):
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    dbtools.load_odoo(args.config)
    with dbtools.throwaway_environment(args.db, args.config, args.fresh, args.keep, say, MODULES) as env:
        results = Bench(env, args).run()
    print_report(results, args, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
