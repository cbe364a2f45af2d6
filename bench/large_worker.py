#!/usr/bin/env python3
"""The bulk enrollment cron job in its own OS process, for large.py::

    python3 bench/large_worker.py -c CONF -d DB

runs ``sales.sequence.enroll.batch._cron_process_queued()`` as its cron job
does (a progress record in the context: one commit per chunk; the time budget
lifted) and prints one line per second, ``rss <MiB> <records processed>``,
then ``done <seconds> <peak RSS MiB>``.
"""

import argparse
import threading
import time

import psutil

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry


def processed(dbname):
    with Registry(dbname).cursor() as cr:
        cr.execute("SELECT COALESCE(SUM(next_index), 0) FROM sales_sequence_enroll_batch")
        return cr.fetchone()[0]


def sample(dbname, stop):
    process = psutil.Process()
    while not stop.wait(1.0):
        print("rss %.1f %d" % (process.memory_info().rss / 2**20, processed(dbname)), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    args = parser.parse_args(argv)
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"], setup_logging=True)
    stop = threading.Event()
    sampler = threading.Thread(target=sample, args=(args.database, stop), daemon=True)
    sampler.start()
    start = time.perf_counter()
    with Registry(args.database).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cron, progress = env.ref("sales_sequence.ir_cron_enroll_batches")._add_progress()
        cr.commit()
        env["sales.sequence.enroll.batch"].with_context(
            cron_id=cron.id,
            ir_cron_progress_id=progress.id,
            cron_end_time=time.monotonic() + 24 * 3600,
        )._cron_process_queued()
        cr.commit()
    stop.set()
    sampler.join()
    print("done %.3f %.1f" % (time.perf_counter() - start, peak_rss()), flush=True)


def peak_rss():
    """The process's peak RSS in MiB: VmHWM (getrusage's ru_maxrss would also
    count the image of the parent this process was forked from before exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


if __name__ == "__main__":
    main()
