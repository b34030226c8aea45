#!/usr/bin/env bash
# Remove labred's services and program; configuration and data stay unless --purge.
set -euo pipefail
# shellcheck source=installers/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<EOF2
Usage: uninstall.sh [--edge|--hub] [--purge] [--root DIR] [--dry-run]

Stops and removes the systemd units (and the hub's backup cron job) and, when no labred side
is left, $OPT. $ETC and $VARLIB (databases, replicas, backups) are kept unless --purge.

  --edge | --hub    remove only that side (default: both)
  --purge           also delete configuration, data, replicas and backups (irreversible)
  --root DIR        act inside DIR instead of / (no systemctl, no userdel)
  --dry-run         print every step without doing it
EOF2
}

SIDES=(edge hub) PURGE=0
while (($#)); do
    case $1 in
        --edge) SIDES=(edge) ;;
        --hub) SIDES=(hub) ;;
        --purge) PURGE=1 ;;
        --root) ROOT=$(realpath -m "${2:?}"); shift ;;
        --dry-run) DRY_RUN=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option $1" ;;
    esac
    shift
done
need_root_user

units_of() {
    if [[ $1 == edge ]]; then
        echo labred-edge-worker.service labred-edge.service labred-litestream.service \
            labred-litestream-s3.service
    else
        echo labred-hub-worker.service labred-hub.service
    fi
}

remove() { # remove PATH: delete a file or tree of labred's when present
    case $1 in
        "$OPT" | "$ETC" | "$ETC"/* | "$VARLIB" | "$VARLIB"/* | "$UNIT_DIR"/labred-* | \
            "$CRON_DIR"/labred-*) ;;
        *) die "refusing to remove $1" ;;
    esac
    if [[ -e $ROOT$1 || -L $ROOT$1 ]]; then
        change "remove $1"
        ((DRY_RUN)) || rm -rf -- "$ROOT$1"
    fi
}

log "uninstalling ${SIDES[*]}${ROOT:+ under $ROOT}$( ((PURGE)) && echo ' (purge)')"
for side in "${SIDES[@]}"; do
    read -r -a units <<<"$(units_of "$side")"
    present=()
    for unit in "${units[@]}"; do
        [[ -f $ROOT$UNIT_DIR/$unit ]] && present+=("$unit")
    done
    if ((${#present[@]})); then
        if under_root; then
            skip_root "systemctl disable --now ${present[*]}"
        else
            run systemctl disable --now "${present[@]}"
        fi
    fi
    for unit in "${units[@]}"; do remove "$UNIT_DIR/$unit"; done
    if [[ $side == edge ]]; then remove "$UNIT_DIR/labred-litestream.service.d"; fi
    if [[ $side == hub ]]; then remove "$CRON_DIR/labred-hub-backup"; fi
    if ((PURGE)); then
        remove "$ETC/$side.toml"
        remove "$VARLIB/$side"
        remove "$VARLIB/backup/$side"
        if [[ $side == edge ]]; then
            remove "$ETC/litestream.yml"
            remove "$ETC/litestream-s3.yml"
            remove "$ETC/litestream.env"
        fi
        for old in "$ROOT$VARLIB/backup/upgrade-$side"-*; do
            [[ -e $old ]] && remove "${old#"$ROOT"}"
        done
    else
        [[ -d $ROOT$VARLIB/$side ]] && log "kept: $VARLIB/$side and $ETC/$side.toml (--purge deletes them)"
    fi
done
if ! under_root && ((!DRY_RUN)) && ((CHANGES)); then systemctl daemon-reload; fi

left=""
for side in edge hub; do
    [[ " ${SIDES[*]} " == *" $side "* ]] && continue
    for unit in $(units_of "$side"); do
        [[ -f $ROOT$UNIT_DIR/$unit ]] && left=$side
    done
done
if [[ -z $left ]]; then
    remove "$OPT"
    if ((PURGE)); then
        remove "$ETC"
        remove "$VARLIB"
        if under_root; then
            skip_root "userdel $LABRED_USER"
        elif getent passwd "$LABRED_USER" >/dev/null; then
            run userdel "$LABRED_USER"
        fi
    fi
else
    log "kept $OPT: the $left side is still installed"
fi
finish
