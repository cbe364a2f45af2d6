#!/usr/bin/env python3
"""Large data benchmark: ``make bench-large`` (not run by CI).

On a throw-away database (sales_sequence_queue installed: the cron engine and
the queue_job bridge side by side):

  idle_tick_1m_s        one tick of the cron engine (``_cron_process_due``) with
                        ``--enrollments`` enrollments in the table (1,000,000 by
                        default: 95% ended, 4% active and due later, 1% paused
                        until later), none due: median of 5 ticks
  enqueue_tick_1m_s     the same with the bridge's cron method (``_cron_enqueue_due``)
  bulk_request_s        a rep enrolls ``--bulk`` contacts (100,000 by default) with
                        the bulk wizard: the request, which only queues the batch
  bulk_background_s     the batch's background run: the bulk enrollment cron job in
                        its own process (one commit per chunk), timed
  bulk_peak_rss_mib     that process's peak RSS, with its RSS after the first tenth
                        of the records for comparison (bounded memory: no growth
                        with the number of records)

The rows of the first part are inserted with plain SQL (the ORM would take
hours and measure nothing useful); the bulk contacts too.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import dbtools
import fixtures
import measures

from odoo import Command, fields

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("sales_sequence_queue",)
GOALS = {"idle_tick_1m_s": 1.0, "enqueue_tick_1m_s": 1.0}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enrollments", type=int, default=1_000_000, help="enrollments in the table for the ticks")
    parser.add_argument("--bulk", type=int, default=100_000, help="contacts enrolled with the bulk wizard")
    parser.add_argument("--db", default="ss_bench_large", help="working database (dropped at the end)")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo.conf"), help="Odoo configuration file")
    parser.add_argument("--keep", action="store_true", help="keep the working database")
    parser.add_argument("--fresh", action="store_true", help="reinstall the template database")
    return parser.parse_args(argv)


def say(message):
    print("[bench-large] %s" % message, flush=True)


def check(condition, message):
    if not condition:
        raise RuntimeError("benchmark invalid: %s" % message)


def insert_enrollments(env, sequence, sender, count, now):
    """``count`` contacts, each with one enrollment: 95% ended (completed or
    exited), 4% active and due 1 to 30 days after ``now``, 1% paused until
    later."""
    env.flush_all()
    cr = env.cr
    cr.execute(
        """
        WITH partner AS (
            INSERT INTO res_partner (name, complete_name, email, active, type, lang,
                                     create_uid, write_uid, create_date, write_date)
                 SELECT 'Large Contact ' || n, 'Large Contact ' || n, 'large' || n || '@large.example.com',
                        TRUE, 'contact', 'en_US', 1, 1, %(now)s, %(now)s
                   FROM generate_series(1, %(count)s) n
              RETURNING id
        )
        INSERT INTO sales_sequence_enrollment (
               sequence_id, company_id, partner_id, user_id, step_id, state, exit_reason,
               next_run_at, resume_at, last_run_at, enrolled_at, ended_at,
               create_uid, write_uid, create_date, write_date)
        SELECT %(sequence)s, %(company)s, partner.id, %(user)s,
               CASE WHEN partner.id %% 100 < 5 THEN %(step)s END,
               CASE WHEN partner.id %% 100 < 4 THEN 'active' WHEN partner.id %% 100 = 4 THEN 'paused'
                    WHEN partner.id %% 2 = 0 THEN 'completed' ELSE 'exited' END,
               CASE WHEN partner.id %% 100 < 5 THEN NULL WHEN partner.id %% 2 = 0 THEN 'completed' ELSE 'reply' END,
               CASE WHEN partner.id %% 100 < 4 THEN %(now)s + (1 + partner.id %% 30) * interval '1 day' END,
               CASE WHEN partner.id %% 100 = 4 THEN %(now)s + (1 + partner.id %% 30) * interval '1 day' END,
               %(now)s - interval '30 days', %(now)s - interval '60 days',
               CASE WHEN partner.id %% 100 >= 5 THEN %(now)s - (partner.id %% 60) * interval '1 day' END,
               1, 1, %(now)s, %(now)s
          FROM partner
    """,
        {
            "count": count,
            "sequence": sequence.id,
            "company": sequence.company_id.id,
            "user": sender.id,
            "step": sequence.step_ids[0].id,
            "now": now,
        },
    )
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
    cr.commit()
    cr.execute("ANALYZE res_partner")
    cr.execute("ANALYZE sales_sequence_enrollment")
    env.invalidate_all()


def median_tick(env, method, now, ticks=5):
    """The median of ``ticks`` runs of the engine's cron ``method`` (cron context)."""
    runs = []
    for _tick in range(ticks):
        Enrollment = measures.cron_model(env)
        env.invalidate_all()
        with measures.measuring() as holder:
            holder["items"] = getattr(Enrollment, method)(now=now)
            env.cr.commit()
        runs.append(holder["measure"])
    check(not any(run.items for run in runs), "%s: an idle tick found work" % method)
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def insert_contacts(env, count, prefix):
    env.flush_all()
    env.cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, email, email_normalized, active, type, lang,
                                 create_uid, write_uid, create_date, write_date)
             SELECT 'Bulk Contact ' || n, 'Bulk Contact ' || n, %(prefix)s || n || '@bulk.example.com',
                    %(prefix)s || n || '@bulk.example.com', TRUE, 'contact', 'en_US', 1, 1,
                    now() at time zone 'UTC', now() at time zone 'UTC'
               FROM generate_series(1, %(count)s) n
          RETURNING id
    """,
        {"count": count, "prefix": prefix},
    )
    ids = [row[0] for row in env.cr.fetchall()]
    env.cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
    env.cr.commit()
    env.cr.execute("ANALYZE res_partner")
    return env["res.partner"].browse(ids)


def run_bulk(env, args, sequence, sender):
    say("bulk: %d contacts (SQL), then the bulk wizard as the rep" % args.bulk)
    partners = insert_contacts(env, args.bulk, "bulk")
    wizard = (
        env["sales.sequence.enroll.wizard"]
        .with_user(sender)
        .create(
            {
                "res_model": "res.partner",
                "partner_ids": [Command.set(partners.ids)],
                "sequence_id": sequence.id,
            }
        )
    )
    env.cr.commit()
    env.invalidate_all()
    with measures.measuring() as holder:
        wizard.action_enroll()
        env.cr.commit()
    request = holder["measure"]
    batch = wizard.batch_id
    check(batch.in_background and batch.state == "queued", "the batch is not queued: %s" % batch.state)
    say("bulk_background_s: the bulk enrollment cron job enrolls %d contacts (own process)" % args.bulk)
    worker = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "large_worker.py"), "-c", args.config, "-d", args.db],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3 * 3600,
    )
    (ROOT / "var" / "bench-large-worker.log").write_text(worker.stdout + worker.stderr)
    check(worker.returncode == 0, "the bulk worker failed:\n%s" % worker.stderr[-4000:])
    lines = worker.stdout.split("\n")
    seconds, peak = (float(value) for value in next(line for line in lines if line.startswith("done ")).split()[1:])
    samples = [(float(line.split()[1]), int(line.split()[2])) for line in lines if line.startswith("rss ")]
    say(
        "RSS of the bulk worker (MiB, records processed): %s"
        % ", ".join("%.0f@%d" % sample for sample in samples[:: max(1, len(samples) // 20)])
    )
    early = next((rss for rss, done in samples if done >= args.bulk // 10), None)
    env.cr.rollback()  # a new snapshot, which sees what the worker committed
    env.invalidate_all()
    check(
        (batch.state, batch.enrolled_count) == ("done", args.bulk),
        "bulk: %s, %d enrolled" % (batch.state, batch.enrolled_count),
    )
    return {
        "bulk_request_s": request.seconds,
        "bulk_request_queries": request.queries,
        "bulk_background_s": seconds,
        "bulk_peak_rss_mib": peak,
        "bulk_rss_after_tenth_mib": early,
    }


def main(argv=None):
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    dbtools.load_odoo(args.config)
    results = {}
    with dbtools.throwaway_environment(args.db, args.config, args.fresh, args.keep, say, MODULES) as env:
        sender = fixtures.create_sender(env)
        sequence = fixtures.create_sequence(env, sender)
        env.cr.commit()
        now = fields.Datetime.now()
        say("%d enrollments, mostly ended (SQL insert)" % args.enrollments)
        start = time.perf_counter()
        insert_enrollments(env, sequence, sender, args.enrollments, now)
        say("inserted in %.0f s; idle ticks" % (time.perf_counter() - start))
        results["idle_tick_1m_s"] = median_tick(env, "_cron_process_due", now).seconds
        results["enqueue_tick_1m_s"] = median_tick(env, "_cron_enqueue_due", now).seconds
        say(
            "idle ticks: %.3f s (cron engine), %.3f s (queue_job bridge)"
            % (results["idle_tick_1m_s"], results["enqueue_tick_1m_s"])
        )
        results.update(run_bulk(env, args, sequence, sender))
    print()
    print(
        "sales_sequence large benchmark: %d enrollments, %d bulk, nproc=%d, load average %.1f before, "
        "%.1f after" % (args.enrollments, args.bulk, len(os.sched_getaffinity(0)), load_before, os.getloadavg()[0])
    )
    for name, value in results.items():
        goal = " (goal <= %s: %s)" % (GOALS[name], "ok" if value <= GOALS[name] else "MISSED") if name in GOALS else ""
        print("%s: %s%s" % (name, round(value, 3) if value is not None else "-", goal))
    return 0


if __name__ == "__main__":
    sys.exit(main())
