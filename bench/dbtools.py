"""Throw-away databases for the benchmark.

A *template* database (``<db>_template``) holds sales_sequence freshly installed
without demo data (with, for some benchmarks, other modules such as Odoo's
``mass_mailing``), stamped with a hash of the addons' sources and of the module
list. Each run copies it to the working database, so every run starts from the
same empty state; the template is rebuilt only when an addon of this repository
changed (or with ``--fresh``).
"""

import ast
import hashlib
import subprocess
import sys
from contextlib import closing, contextmanager
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.service import db as db_service
from odoo.tools import config

ROOT = Path(__file__).resolve().parents[1]
HASH_KEY = "sales_sequence_bench.source_hash"


def load_odoo(config_path):
    """Configure Odoo as a library (no server, warnings only), its addons
    importable as ``odoo.addons.<name>``."""
    config.parse_config(["-c", str(config_path), "--log-level=warn"], setup_logging=True)
    odoo.modules.module.initialize_sys_path()


def repository_addons(modules):
    """The addons of this repository among ``modules`` and their dependencies
    (``sales_sequence_queue`` brings ``sales_sequence``), sorted."""
    found, todo = set(), list(modules)
    while todo:
        module = todo.pop()
        manifest = ROOT / module / "__manifest__.py"
        if module in found or not manifest.exists():
            continue
        found.add(module)
        todo.extend(ast.literal_eval(manifest.read_text()).get("depends", []))
    return sorted(found)


def source_hash(modules=("sales_sequence",)):
    """A hash of what the install depends on: the module list and the files of
    this repository's addons among those modules and their dependencies,
    tests excepted."""
    digest = hashlib.sha256(",".join(modules).encode())
    for addon in (ROOT / module for module in repository_addons(modules)):
        for path in sorted(addon.rglob("*")):
            relative = path.relative_to(ROOT)
            if path.is_file() and "__pycache__" not in relative.parts and relative.parts[1] != "tests":
                digest.update(str(relative).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def database_exists(name):
    return name in db_service.list_dbs(True)


def _installed_hash(name):
    with closing(odoo.sql_db.db_connect(name).cursor()) as cr:
        cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [HASH_KEY])
        row = cr.fetchone()
    odoo.sql_db.close_db(name)
    return row[0] if row else None


def ensure_template(name, config_path, fresh=False, modules=("sales_sequence",)):
    """The template database with ``modules`` installed (again when missing or
    out of date)."""
    wanted = source_hash(modules)
    if not fresh and database_exists(name) and _installed_hash(name) == wanted:
        print(f"[bench] reusing the template database {name}", flush=True)
        return name
    drop_database(name)
    print(f"[bench] installing {', '.join(modules)} (no demo data) into {name}", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            str(config_path),
            "-d",
            name,
            "-i",
            ",".join(modules),
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
        cwd=ROOT,
    )
    with closing(odoo.sql_db.db_connect(name).cursor()) as cr:
        cr.execute("INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s)", [HASH_KEY, wanted])
        cr.commit()
    odoo.sql_db.close_db(name)
    return name


def copy_database(template, name):
    drop_database(name)
    db_service.exp_duplicate_database(template, name)


def drop_database(name):
    if database_exists(name):
        db_service.exp_drop(name)


@contextmanager
def environment(dbname):
    """A superuser environment on ``dbname``; the caller commits."""
    registry = Registry(dbname)
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})


@contextmanager
def throwaway_environment(dbname, config_path, fresh=False, keep=False, say=print, modules=("sales_sequence",)):
    """A superuser environment on ``dbname``, a fresh copy of the template
    ``<dbname>_template`` with ``modules`` (built when missing or stale); the
    copy is dropped afterwards unless ``keep``."""
    template = ensure_template(dbname + "_template", config_path, fresh=fresh, modules=modules)
    say("copying %s to %s" % (template, dbname))
    copy_database(template, dbname)
    try:
        with environment(dbname) as env:
            yield env
    finally:
        if keep:
            say("kept the database %s" % dbname)
        else:
            drop_database(dbname)
