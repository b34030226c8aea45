#!/usr/bin/env bash
# Upgrade an edge node or the hub: stop, back up, install, migrate, start; roll back on failure.
set -euo pipefail
# shellcheck source=installers/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<EOF
Usage: upgrade.sh --edge|--hub [options]

  1. stop the services        2. back up the database (and keep the current environment)
  3. install the new version  4. migrate                5. start the services
If 3, 4 or 5 fails, the previous environment and the backed-up database are put back and the
services started again. Upgrade the hub first: edges one version behind keep syncing.

  --edge | --hub         which side this machine runs
  --source PATH          new labred wheel or checkout (default: $REPO_DIR)
  --python-venv DIR      new environment already prepared (link, no pip)
  --root DIR             act inside DIR instead of / (no systemctl, no chown)
  --dry-run              print every step without doing it
  -h, --help             this help
EOF
}

SIDE="" SOURCE=$REPO_DIR PYVENV=""
while (($#)); do
    case $1 in
        --edge) SIDE=edge ;;
        --hub) SIDE=hub ;;
        --source) SOURCE=${2:?}; shift ;;
        --python-venv) PYVENV=$(cd "${2:?}" && pwd); shift ;;
        --root) ROOT=$(realpath -m "${2:?}"); shift ;;
        --dry-run) DRY_RUN=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option $1" ;;
    esac
    shift
done
[[ -n $SIDE ]] || { usage >&2; die "say --edge or --hub"; }
need_root_user

DATA=$VARLIB/$SIDE
CONFIG=$ETC/$SIDE.toml
if [[ $SIDE == edge ]]; then
    UNITS=(labred-edge-worker.service labred-edge.service labred-litestream.service
        labred-litestream-s3.service)
else
    UNITS=(labred-hub-worker.service labred-hub.service)
fi
# Only the units this machine has: a node installed before labred-litestream-s3 existed has no
# such unit, and systemctl start/stop of a unit that is not there fails (and would roll back).
installed=()
for unit in "${UNITS[@]}"; do
    [[ ! -f $ROOT$UNIT_DIR/$unit ]] || installed+=("$unit")
done
((${#installed[@]} == 0)) || UNITS=("${installed[@]}")
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
BACKUP=$VARLIB/backup/upgrade-$SIDE-$STAMP
V=$ROOT$VENV
[[ -e $V || $DRY_RUN -eq 1 ]] || die "$VENV does not exist: install first (install-$SIDE.sh)"

systemd_do() { # systemd_do start|stop UNITS...
    local action=$1
    shift
    if under_root; then skip_root "systemctl $action $*"; else run systemctl "$action" "$@"; fi
}

log "upgrading the $SIDE${ROOT:+ under $ROOT}"
# 1. stop
systemd_do stop "${UNITS[@]}"

# 2. back up the database and keep the current environment aside
change "back up the database into $BACKUP"
if ((!DRY_RUN)); then
    mkdir -p "$ROOT$BACKUP"
    chmod 0700 "$ROOT$BACKUP"
    if [[ $SIDE == edge ]]; then
        if [[ -f $ROOT$DATA/edge.sqlite3 ]]; then
            "$V/bin/python" -c 'import sqlite3, sys
src = sqlite3.connect(sys.argv[1]); dst = sqlite3.connect(sys.argv[2])
src.backup(dst); dst.close(); src.close()' "$ROOT$DATA/edge.sqlite3" "$ROOT$BACKUP/edge.sqlite3"
        fi
    else
        # As the service user (labred_cmd): the embedded PostgreSQL started as root would take
        # its data directory away from labred. The dump directory must be theirs to write.
        chown_maybe "$LABRED_USER:$LABRED_USER" "$ROOT$BACKUP"
        labred_cmd backup hub --data-dir "$ROOT$DATA" --config "$ROOT$CONFIG" \
            --output "$ROOT$BACKUP" --keep 1
    fi
fi

rollback() {
    warn "upgrade failed at: $1; rolling back"
    if ((!DRY_RUN)); then
        if [[ -e $V.previous || -L $V.previous ]]; then
            rm -rf "$V"
            mv "$V.previous" "$V"
        fi
        if [[ $SIDE == edge && -f $ROOT$BACKUP/edge.sqlite3 ]]; then
            rm -f "$ROOT$DATA/edge.sqlite3-wal" "$ROOT$DATA/edge.sqlite3-shm"
            cp "$ROOT$BACKUP/edge.sqlite3" "$ROOT$DATA/edge.sqlite3"
            chown_maybe "$LABRED_USER:$LABRED_USER" "$ROOT$DATA/edge.sqlite3"
        elif [[ $SIDE == hub ]]; then
            local dump
            dump=$(find "$ROOT$BACKUP" -name 'labred-hub-*.dump' | head -n1)
            if [[ -n $dump ]]; then
                labred_cmd hub restore "$dump" --data-dir "$ROOT$DATA" \
                    --config "$ROOT$CONFIG" --no-safety-backup || warn "hub restore failed: $dump"
            fi
        fi
    fi
    systemd_do start "${UNITS[@]}"
    die "rolled back to the previous version (database from $BACKUP)"
}

# 3. install the new environment beside the current one, then swap
if [[ -n $PYVENV ]]; then
    [[ -x $PYVENV/bin/labred ]] || die "--python-venv $PYVENV has no bin/labred"
    change "link $VENV.new -> $PYVENV"
    ((DRY_RUN)) || ln -sfn "$PYVENV" "$V.new"
else
    [[ -e $SOURCE ]] || die "--source $SOURCE does not exist"
    run rm -rf "$V.new"
    run python3 -m venv "$V.new"
    if ((!DRY_RUN)) && ! "$V.new/bin/pip" install --quiet "$SOURCE"; then
        rm -rf "$V.new"
        rollback "install"
    fi
    ((DRY_RUN)) || source_id "$SOURCE" >"$V.new/.labred-source"
fi
change "swap $VENV (previous kept as $VENV.previous)"
if ((!DRY_RUN)); then
    rm -rf "$V.previous"
    mv "$V" "$V.previous"
    mv "$V.new" "$V"
fi

# 4. migrate
change "run: $VENV/bin/labred migrate $SIDE"
if ((!DRY_RUN)); then
    if ! labred_cmd migrate "$SIDE" --data-dir "$ROOT$DATA" --config "$ROOT$CONFIG"; then
        rollback "migrate"
    fi
fi

# 5. start
if under_root; then
    skip_root "systemctl start ${UNITS[*]}"
elif ((!DRY_RUN)); then
    change "run: systemctl start ${UNITS[*]}"
    systemctl start "${UNITS[@]}" || rollback "start"
else
    change "run: systemctl start ${UNITS[*]}"
fi
log "upgraded; the previous environment is in $VENV.previous, the database backup in $BACKUP"
finish
