"""An engine worker in its own OS process, for the slow suite (test_concurrency.py).

It opens the registry of a throw-away database with Odoo as a library and runs
the engine the way its cron job does (a progress record in the context, so
``_cron_process_due`` commits after every batch), with real commits::

    python3 engine_worker.py -c CONF -d DB seed [--count 2000] [--batch-size 25]
    python3 engine_worker.py -c CONF -d DB work [--wait-go] [--hold-batch K]

``seed`` creates a sender, ``count`` contacts and a sequence (an email due now,
then a call a day later), enrolls every contact and sets the engine's batch
size. ``work`` reports on stdout,
one line each: ``ready``; ``batch <ids>`` once a batch is written (flushed,
not yet committed); ``hold`` when it stops before committing batch K (it then
waits to be killed); ``retry <error>`` when a concurrency error aborted a run;
``done <processed>``. With ``--wait-go`` it waits for a
line on stdin after ``ready``, so that several workers start together.
"""

import argparse
import sys
import time
from datetime import timedelta

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

SEQUENCE_NAME = "Concurrency"


def say(line):
    # the worker answers its parent on stdout
    print(line, flush=True)  # pylint: disable=print-used


# ----------------------------------------------------------------------
# seed
# ----------------------------------------------------------------------


def seed(env, count, batch_size):
    env["ir.config_parameter"].set_param("sales_sequence.batch_size", batch_size)
    sender = env["res.users"].create(
        {
            "name": "Wendy Worker",
            "login": "engine.worker",
            "email": "wendy@worker.example.com",
            "group_ids": [Command.set(env.ref("sales_team.group_sale_salesman").ids)],
        }
    )
    partners = (
        env["res.partner"]
        .with_context(tracking_disable=True)
        .create(
            [{"name": "Contact %d" % index, "email": "contact%d@worker.example.com" % index} for index in range(count)]
        )
    )
    sequence = env["sales.sequence"].create(
        {
            "name": SEQUENCE_NAME,
            "user_id": sender.id,
            "tz": "UTC",
            "window_start": 0.0,
            "window_end": 24.0,
            "weekdays_only": False,
            "step_ids": [
                Command.create(
                    {
                        "sequence": 10,
                        "step_type": "email",
                        "subject": "Hello {{ first_name }}",
                        "body_html": "<p>Hi {{ first_name | default('there') }}</p>",
                    }
                ),
                Command.create({"sequence": 20, "step_type": "call", "delay_days": 1, "wait_for_completion": False}),
            ],
        }
    )
    sequence.action_activate()
    start = fields.Datetime.now() - timedelta(minutes=1)
    enrolled = sequence.enroll(partners, user=sender, start_at=start)["enrolled"]
    if len(enrolled) != count:
        raise SystemExit("enrolled %d contacts out of %d" % (len(enrolled), count))
    say("seeded %d" % count)


# ----------------------------------------------------------------------
# work
# ----------------------------------------------------------------------


def report_batches(env, hold_batch):
    """Announce every batch once written; hold batch ``hold_batch`` uncommitted.
    Return the list that collects the ids of every batch written."""
    Model = env.registry["sales.sequence.enrollment"]
    process_batch = Model._process_batch
    written = []

    def _process_batch(self, now):
        process_batch(self, now)
        self.env.flush_all()
        written.append(self.ids)
        say("batch %s" % ",".join(map(str, self.ids)))
        if len(written) == hold_batch:
            say("hold")
            while True:
                time.sleep(60)

    Model._process_batch = _process_batch
    return written


def cron_context(env):
    """What ``ir.cron._run_job`` gives the job: a committed progress record."""
    cron = env.ref("sales_sequence.ir_cron_process_due")
    cron, progress = cron._add_progress()
    env.cr.commit()
    return {"cron_id": cron.id, "ir_cron_progress_id": progress.id, "cron_end_time": time.monotonic() + 3600}


def run_engine(env):
    """Run the engine as its cron job does until it returns. A concurrency
    error (serialization failure, lock, deadlock) rolls back the batch under
    way and the run starts again, as the scheduler retries a failed job."""
    while True:
        Enrollment = env["sales.sequence.enrollment"].with_context(**cron_context(env))
        try:
            Enrollment._cron_process_due()
            env.cr.commit()
            return
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
            env.cr.rollback()
            env.invalidate_all(flush=False)
            say("retry %s" % type(error).__name__)


def work(env, args):
    written = report_batches(env, args.hold_batch)
    say("ready")
    if args.wait_go:
        sys.stdin.readline()
    run_engine(env)
    say("done %d" % sum(map(len, written)))


# ----------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    seed_parser = commands.add_parser("seed")
    seed_parser.add_argument("--count", type=int, default=2000)
    seed_parser.add_argument("--batch-size", type=int, default=25)
    work_parser = commands.add_parser("work")
    work_parser.add_argument("--wait-go", action="store_true")
    work_parser.add_argument("--hold-batch", type=int, default=0, help="hold this batch (1-based) uncommitted")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"], setup_logging=True)
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if args.command == "seed":
            seed(env, args.count, args.batch_size)
        else:
            work(env, args)


if __name__ == "__main__":
    main()
