#!/usr/bin/env bash
# Install (or re-check) the labred central hub on Debian/Ubuntu. Idempotent.
set -euo pipefail
# shellcheck source=installers/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<EOF
Usage: install-hub.sh [options]

Installs the labred hub: system user '$LABRED_USER', $VENV, $ETC/hub.toml (0640), data and
backups in $VARLIB/hub, the systemd units, a nightly backup (cron), and migrates the database.
Running it again changes nothing.

  --database-url URL     external PostgreSQL (postgresql://user:pass@host/db); kept in hub.toml
  --postgres MODE        without --database-url: 'embedded' (default: PostgreSQL runs inside
                         the hub's data directory) or 'system' (apt's postgresql, a 'labred'
                         role and database on this machine)
  --source PATH          labred wheel or checkout to install (default: $REPO_DIR)
  --python-venv DIR      use an existing environment with labred installed (link, no pip)
  --skip-pip             do not create or update the virtual environment
  --no-migrate           do not migrate the database now (labred-hub migrates when it starts)
  --port N               API port (default 8100)
  --root DIR             install into DIR instead of / (no user, no systemctl, no chown)
  --dry-run              print every step without doing it
  -h, --help             this help
EOF
}

DATABASE_URL_ARG="" PG_MODE=embedded SOURCE=$REPO_DIR PYVENV="" SKIP_PIP=0 NO_MIGRATE=0
PORT=8100
while (($#)); do
    case $1 in
        --database-url) DATABASE_URL_ARG=${2:?--database-url needs a URL}; shift ;;
        --postgres) PG_MODE=${2:?}; shift ;;
        --source) SOURCE=${2:?}; shift ;;
        --python-venv) PYVENV=$(cd "${2:?}" && pwd); shift ;;
        --skip-pip) SKIP_PIP=1 ;;
        --no-migrate) NO_MIGRATE=1 ;;
        --port) PORT=${2:?}; shift ;;
        --root) ROOT=$(realpath -m "${2:?}"); shift ;;
        --dry-run) DRY_RUN=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option $1" ;;
    esac
    shift
done
[[ $PORT =~ ^[0-9]+$ ]] || die "--port must be a number"
[[ $PG_MODE == embedded || $PG_MODE == system ]] || die "--postgres is 'embedded' or 'system'"
[[ -z $DATABASE_URL_ARG || $DATABASE_URL_ARG == postgres*://* ]] ||
    die "--database-url must be a postgresql:// URL"

DATA=$VARLIB/hub
need_root_user
log "installing the hub${ROOT:+ under $ROOT}"
check_os
((SKIP_PIP)) || [[ -n $PYVENV ]] || ensure_apt python3 python3-venv
ensure_user
ensure_dir "$OPT" 0755 root:root
ensure_dir "$ETC" 0750 "root:$LABRED_USER"
ensure_dir "$VARLIB" 0755 root:root
ensure_dir "$DATA" 0750 "$LABRED_USER:$LABRED_USER"
ensure_dir "$DATA/backups" 0700 "$LABRED_USER:$LABRED_USER"
ensure_venv "$SOURCE" "$PYVENV" "$SKIP_PIP"

# The database: an external URL, this machine's PostgreSQL, or the embedded one.
DB_LINE="# database_url: unset, the embedded PostgreSQL runs in $DATA/pg"
if [[ -n $DATABASE_URL_ARG ]]; then
    DB_LINE="database_url = \"$DATABASE_URL_ARG\""
elif [[ $PG_MODE == system ]]; then
    PG_PASSWORD=$(secret)
    if [[ -f $ROOT$ETC/hub.toml ]]; then
        ok "system PostgreSQL: using the database_url already in $ETC/hub.toml"
    elif under_root; then
        skip_root "apt-get install postgresql; CREATE ROLE $LABRED_USER; CREATE DATABASE labred"
    else
        ensure_apt postgresql
        if runuser -u postgres -- psql -tAc \
            "SELECT 1 FROM pg_roles WHERE rolname = '$LABRED_USER'" | grep -q 1; then
            run runuser -u postgres -- psql -qc \
                "ALTER ROLE $LABRED_USER LOGIN PASSWORD '$PG_PASSWORD'"
        else
            run runuser -u postgres -- psql -qc \
                "CREATE ROLE $LABRED_USER LOGIN PASSWORD '$PG_PASSWORD'"
        fi
        if ! runuser -u postgres -- psql -tAc \
            "SELECT 1 FROM pg_database WHERE datname = 'labred'" | grep -q 1; then
            run runuser -u postgres -- createdb -O "$LABRED_USER" labred
        fi
    fi
    DB_LINE="database_url = \"postgresql://$LABRED_USER:$PG_PASSWORD@127.0.0.1:5432/labred\""
fi

# Configuration: written once (it holds the JWT secret and the database password).
put_file_once "$ETC/hub.toml" 0640 "root:$LABRED_USER" <<EOF
# labred hub: written by install-hub.sh; edit, then: systemctl restart labred-hub
host = "0.0.0.0"
port = $PORT
$DB_LINE
log_level = "INFO"
jwt_secret = "$(secret)"
EOF

UNITS=(labred-hub.service labred-hub-worker.service)
install_units "${UNITS[@]}"

# Nightly pg_dump with retention (logged in backup_logs; GET /api/config/backups lists them).
put_file "$CRON_DIR/labred-hub-backup" 0644 root:root <<EOF
# labred hub: nightly database backup into $DATA/backups, keeping the days of the hub's
# setting retention_backup_days (Parámetros; the newest dump is never deleted).
SHELL=/bin/sh
30 2 * * * $LABRED_USER $VENV/bin/labred backup hub --data-dir $DATA --config $ETC/hub.toml --kind scheduled
EOF

if ((NO_MIGRATE)); then
    log "migration: skipped (--no-migrate); labred-hub migrates when it starts"
else
    log "migration: bringing the hub schema up to date"
    labred_cmd migrate hub --data-dir "$ROOT$DATA" --config "$ROOT$ETC/hub.toml"
fi

enable_units "${UNITS[@]}"
log "logs: journalctl -u labred-hub -u labred-hub-worker; backups: $DATA/backups"
log "first administrator (a new hub has no users): sudo -u $LABRED_USER $VENV/bin/labred hub" \
    "create-admin --data-dir $DATA --config $ETC/hub.toml"
finish
