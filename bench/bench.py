#!/usr/bin/env python3
"""Benchmark of the sales_sequence engine: ``make bench`` (``N=`` to change N).

Builds a throw-away database (a copy of a cached template with the addon
installed without demo data, and Odoo's mass_mailing), then measures in one run:

  enroll_s           enroll N contacts into a 3-step sequence (email, call, email)
  process_s          the engine runs the N due first-step emails (render + queue), committed
  mass_mailing_s     the same N emails from Odoo's own bulk mailer (mass_mailing, archives kept)
  base_automation_s  the same N emails from a base.automation time rule + mail.template
  sql_floor_s        the same mail.message + mail.mail rows inserted with plain SQL
  idle_tick_s        one engine tick over 100,000 enrollments, none due (median of 5)
  queries_per_step   SQL queries per processed step during process_s

and prints a table (with, for information, ``orm_floor_s``: the same rows with
one ``mail.mail`` ORM ``create``), then one ``name: value`` line per figure.

Then, on databases of their own, the engine spread over real Odoo servers
with the queue_job bridge (``--parallel`` due emails, 20,000 by default; see
parallel.py): ``cron_engine_s``, ``one_server_s``, ``two_servers_s``,
``parallel_speedup`` = one_server_s / two_servers_s, ``killed_server_s``.
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
FIGURES = (
    "enroll_s",
    "process_s",
    "mass_mailing_s",
    "base_automation_s",
    "sql_floor_s",
    "idle_tick_s",
    "queries_per_step",
    "parallel_speedup",
)
GOALS = {  # figure: (comparison, bound), for N = 10,000 on 2 cores
    "enroll_s": ("<=", 5),
    "process_s": ("<=", 60),
    "idle_tick_s": ("<=", 1),
    "mass_mailing_s / process_s": (">=", 1),
    "base_automation_s / process_s": (">=", 3),
    # no goal on process_s / sql_floor_s (it was <= 10): the engine stays in
    # Odoo's mail queue, whose ORM create alone (orm_floor_s) is about 6 times
    # the SQL floor; both floors are printed for information
}
STAGES = ("enroll", "process", "mass_mailing", "base_automation", "sql_floor", "orm_floor")
SKIPPABLE = ("mass_mailing", "base_automation", "floors", "idle", "parallel")
# the benchmark's template database: mass_mailing is installed there only (the addon does not depend on it)
MODULES = ("sales_sequence", "mass_mailing")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="contacts to enroll and emails to produce")
    parser.add_argument("--idle", type=int, default=100_000, help="enrollments, none due, for idle_tick_s")
    parser.add_argument(
        "--parallel",
        type=int,
        default=20_000,
        help="due emails run by real Odoo servers for parallel_speedup (0: skip)",
    )
    parser.add_argument(
        "--ports",
        type=lambda text: [int(port) for port in text.split(",")],
        default=[8174, 8175, 8176],
        help="free ports for the balancer and the two servers of --parallel (default 8174,8175,8176)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="--parallel: run cron/one/two servers this many times, alternating; keep the best",
    )
    parser.add_argument("--no-kill", action="store_true", help="skip killed_server_s")
    parser.add_argument("--db", default="ss_bench", help="working database (dropped at the end)")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo.conf"), help="Odoo configuration file")
    parser.add_argument("--batch-size", type=int, help="engine batch size (default: the engine's)")
    parser.add_argument("--keep", action="store_true", help="keep the working databases")
    parser.add_argument("--fresh", action="store_true", help="reinstall the template databases")
    parser.add_argument(
        "--skip",
        choices=SKIPPABLE,
        action="append",
        default=[],
        help="leave out a stage (repeatable; its figures are not printed)",
    )
    parser.add_argument(
        "--profile",
        choices=STAGES,
        action="append",
        default=[],
        help="cProfile this stage (var/bench-<stage>.prof and a summary)",
    )
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
        env, n, skip = self.env, self.args.n, self.args.skip
        if self.args.batch_size:
            env["ir.config_parameter"].set_param("sales_sequence.batch_size", self.args.batch_size)
        say("creating %d contacts, the sender and the sequence" % n)
        self.sender = fixtures.create_sender(env)
        partners = fixtures.create_contacts(env, n, self.sender)
        self.sequence = fixtures.create_sequence(env, self.sender)
        env.cr.commit()
        self.run_engine(partners)
        if "mass_mailing" not in skip:
            self.run_mass_mailing()
        if "base_automation" not in skip:
            self.run_base_automation()
        if "floors" not in skip:
            self.run_floors(partners)
        if "idle" not in skip:
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
TIMED_ROWS = (
    "enroll_s",
    "process_s",
    "mass_mailing_s",
    "base_automation_s",
    "sql_floor_s",
    "orm_floor_s",
    "idle_tick_s",
)
PARALLEL_ROWS = ("cron_engine_s", "one_server_s", "two_servers_s", "parallel_speedup", "enqueue_s", "killed_server_s")


def figures(results, parallel):
    values = {name: measure.seconds for name, measure in results.items()}
    process = results["process_s"]
    values["queries_per_step"] = process.queries / process.items
    for name, operands in RATIOS.items():
        if operands and all(operand in values for operand in operands):
            values[name] = values[operands[0]] / values[operands[1]]
    values.update(parallel)
    if "two_servers_s" in parallel:
        values["parallel_speedup"] = parallel["one_server_s"] / parallel["two_servers_s"]
    return values


def verdict(name, value):
    if name not in GOALS:
        return "", "(info)" if name not in FIGURES else ""
    comparison, bound = GOALS[name]
    met = value <= bound if comparison == "<=" else value >= bound
    return "%s %s" % (comparison, bound), "ok" if met else "MISSED"


def print_report(results, parallel, args, load_before):
    values = figures(results, parallel)
    print()
    print(
        "sales_sequence benchmark: N=%d, idle=%d, parallel=%d, nproc=%d, load average %.1f before, %.1f after "
        "(one run)" % (args.n, args.idle, args.parallel, len(os.sched_getaffinity(0)), load_before, os.getloadavg()[0])
    )
    row = "%-30s %10s %9s %8s %8s  %-7s %s"
    print(row % ("figure", "value", "queries", "SQL s", "items", "goal", ""))
    for name in TIMED_ROWS:
        if name in results:
            measure = results[name]
            print(
                row
                % (
                    name,
                    "%.3f" % values[name],
                    measure.queries,
                    "%.2f" % measure.sql_seconds,
                    measure.items,
                    *verdict(name, values[name]),
                )
            )
    for name in RATIOS:
        if name in values:
            print(row % (name, "%.2f" % values[name], "", "", "", *verdict(name, values[name])))
    for name in PARALLEL_ROWS:
        if name in values:
            print(row % (name, "%.3f" % values[name], "", "", args.parallel, *verdict(name, values[name])))
    print()
    for name in FIGURES:
        if name in values:
            print("%s: %s" % (name, round(values[name], 3)))


def main(argv=None):
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    dbtools.load_odoo(args.config)
    with dbtools.throwaway_environment(args.db, args.config, args.fresh, args.keep, say, MODULES) as env:
        results = Bench(env, args).run()
    parallel = {}
    if args.parallel and "parallel" not in args.skip:
        import parallel as parallel_bench  # noqa: PLC0415 - needs Odoo's addons path, set by load_odoo

        parallel = parallel_bench.ParallelBench(args, say, check).run()
    print_report(results, parallel, args, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
