"""The engine's cron method in its own OS process, for the slow suite and the benchmark::

    python3 queue_driver.py -c CONF -d DB enqueue

runs ``sales.sequence.enrollment._cron_enqueue_due()`` the way the cron job
does (a progress record in the context, so it commits after every batch:
the servers' jobs start while it enqueues the next) and prints
``enqueued <count>``.
"""

import argparse
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry


def cron_context(env):
    """What ``ir.cron._run_job`` gives the job: a committed progress record,
    and no time budget (the cron would run again at once)."""
    cron = env.ref("sales_sequence.ir_cron_process_due")
    cron, progress = cron._add_progress()
    env.cr.commit()
    return {"cron_id": cron.id, "ir_cron_progress_id": progress.id, "cron_end_time": time.monotonic() + 3600}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("command", choices=["enqueue"])
    args = parser.parse_args(argv)
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"], setup_logging=True)
    with Registry(args.database).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        enqueued = env["sales.sequence.enrollment"].with_context(**cron_context(env))._cron_enqueue_due()
        # a process of its own, as the cron job runs: its work is committed
        cr.commit()  # pylint: disable=invalid-commit
    # the driver answers its parent on stdout
    print("enqueued %d" % enqueued, flush=True)  # pylint: disable=print-used


if __name__ == "__main__":
    main()
