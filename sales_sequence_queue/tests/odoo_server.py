"""``odoo-bin`` for the real servers of the slow suite and the benchmark::

    [SALES_SEQUENCE_SERVER_CPUS=0,1] python3 odoo_server.py -c CONF -d DB --workers=2 ...

Why not ``python -m odoo``: a prefork server (``--workers``) starts its
gevent (websocket) process as ``sys.executable sys.argv[0] gevent ...``.
Started as ``python -m odoo``, ``sys.argv[0]`` is ``odoo/__main__.py``, which
cannot run as a script (its relative import fails): the gevent process dies
at once and the server starts it again, forever, about twice a second, each
time importing Odoo. That took 0.6 of this machine's 2 cores away from the
workers. Started from a script, as ``odoo-bin`` does, the gevent process runs.

``SALES_SEQUENCE_SERVER_CPUS`` (CPU numbers, comma-separated) binds the
server and every process it forks to those CPUs, as if it ran on a machine
of its own with that many cores (the benchmark's two servers on one machine).
"""

import os

from odoo.cli.command import main

if __name__ == "__main__":
    cpus = os.environ.pop("SALES_SEQUENCE_SERVER_CPUS", "")
    if cpus:
        os.sched_setaffinity(0, {int(cpu) for cpu in cpus.split(",")})
    main()
