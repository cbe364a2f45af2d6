#!/usr/bin/env bash
# Install everything `make run` and `make test` need, idempotently:
#   1. the Python dependencies of the addon and its tooling (requirements.txt);
#   2. Odoo 19.0: from $ODOO_SRC when set, nothing when `import odoo` already
#      gives 19.0, else a clone of the upstream 19.0 branch;
#   3. OCA queue_job 19.0 from PyPI, for the sales_sequence_queue bridge
#      (requirements-queue.txt, without its dependencies: Odoo stays as it is);
#   4. with --browser: Chromium for the browser tests (Debian's package);
#   5. a check that PostgreSQL answers.
# Writes var/odoo.conf, which the other scripts read.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
ODOO_BRANCH=19.0
ODOO_REPO=${ODOO_REPO:-https://github.com/odoo/odoo.git}
ODOO_CLONE=${ODOO_CLONE:-$here/.cache/odoo-$ODOO_BRANCH}
with_browser=0
[ "${1:-}" = "--browser" ] && with_browser=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
pip_install() { "$PYTHON" -m pip install --disable-pip-version-check --root-user-action=ignore -q "$@"; }

odoo_version() {
    "$PYTHON" - <<'EOF' 2>/dev/null || true
import odoo.release as r
print("%d.%d" % r.version_info[:2])
EOF
}

install_odoo_from() {  # $1: an Odoo source tree (with odoo/ and addons/)
    local src=$1
    [ -f "$src/odoo/release.py" ] || { echo "Not an Odoo source tree: $src" >&2; exit 2; }
    say "installing Odoo's Python dependencies"
    pip_install -r "$here/requirements-odoo.txt"
    say "installing Odoo from $src (editable)"
    pip_install --no-deps -e "$src"
}

ensure_odoo() {
    if [ -n "${ODOO_SRC:-}" ]; then
        if [ "$(odoo_version)" = "$ODOO_BRANCH" ] && [ "$(odoo_root)" = "$(cd "$ODOO_SRC" && pwd)" ]; then
            say "Odoo $ODOO_BRANCH from $ODOO_SRC already installed"
        else
            install_odoo_from "$ODOO_SRC"
        fi
    elif [ "$(odoo_version)" = "$ODOO_BRANCH" ]; then
        say "Odoo $ODOO_BRANCH already importable from $(odoo_root)"
    else
        if [ ! -d "$ODOO_CLONE/.git" ]; then
            say "cloning Odoo $ODOO_BRANCH from $ODOO_REPO (shallow)"
            git clone --depth 1 --branch "$ODOO_BRANCH" "$ODOO_REPO" "$ODOO_CLONE"
        fi
        install_odoo_from "$ODOO_CLONE"
    fi
}

odoo_root() {  # the folder holding odoo/ and addons/ (odoo is a namespace package: addons
    # installed from PyPI, such as queue_job, add a site-packages/odoo/addons portion to it)
    "$PYTHON" - <<'EOF'
import os, odoo.release
print(os.path.dirname(os.path.dirname(os.path.realpath(odoo.release.__file__))))
EOF
}

ensure_queue_job() {
    say "installing OCA queue_job (requirements-queue.txt)"
    pip_install --no-deps -r "$here/requirements-queue.txt"
}

queue_job_dir() {  # the folder holding queue_job/, found as Odoo finds addons (odoo.addons namespace)
    "$PYTHON" - <<'EOF'
import importlib.util, os
spec = importlib.util.find_spec("odoo.addons.queue_job")
print(os.path.dirname(list(spec.submodule_search_locations)[0]) if spec else "")
EOF
}

ensure_browser() {
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 && return
    if command -v apt-get >/dev/null 2>&1; then
        say "installing Chromium for the browser tests (Debian package)"
        local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
    else
        echo "Chromium is needed for the browser tests: install it with your package manager" >&2
        exit 2
    fi
}

write_config() {
    local root addons queue
    root=$(odoo_root)
    addons="$root/odoo/addons,$root/addons"
    queue=$(queue_job_dir)
    case ",$addons," in *",$queue,"*) ;; *) [ -n "$queue" ] && addons="$addons,$queue" ;; esac
    addons="$addons,$here"
    mkdir -p "$here/var"
    {
        echo "[options]"
        echo "addons_path = $addons"
        echo "data_dir = $here/var/data"
        echo "admin_passwd = admin"
        # several checkouts testing at once on one machine each need their own port
        echo "http_port = ${ODOO_HTTP_PORT:-8069}"
        # PostgreSQL: libpq's defaults unless PG* variables say otherwise
        if [ -n "${PGHOST:-}" ]; then echo "db_host = $PGHOST"; fi
        if [ -n "${PGPORT:-}" ]; then echo "db_port = $PGPORT"; fi
        if [ -n "${PGUSER:-}" ]; then echo "db_user = $PGUSER"; fi
        if [ -n "${PGPASSWORD:-}" ]; then echo "db_password = $PGPASSWORD"; fi
    } > "$here/var/odoo.conf"
}

say "installing the addon's Python requirements"
pip_install -r "$here/requirements.txt"
ensure_odoo
ensure_queue_job
[ $with_browser -eq 1 ] && ensure_browser
pg_isready -q ${PGHOST:+-h "$PGHOST"} ${PGPORT:+-p "$PGPORT"} \
    || { echo "PostgreSQL does not answer (set PGHOST / PGPORT / PGUSER)" >&2; exit 2; }
write_config
say "ready: Odoo $(odoo_version) from $(odoo_root), config var/odoo.conf"
