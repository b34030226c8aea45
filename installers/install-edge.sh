#!/usr/bin/env bash
# Install (or re-check) a sede's labred edge node on Debian/Ubuntu. Idempotent.
set -euo pipefail
# shellcheck source=installers/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<EOF
Usage: install-edge.sh [options]

Installs the labred edge node: system user '$LABRED_USER', $VENV, $ETC/edge.toml (0640),
$ETC/litestream.yml, data in $VARLIB/edge, the Litestream replica in $VARLIB/backup/edge
(and on S3 with --s3-url), the systemd units, and enrols the node with the hub. Running it
again changes nothing.

  --hub URL              hub base URL (written to edge.toml, used to enrol)
  --code CODE            one-time enrolment code from the hub (Configuración > Sedes)
  --no-enroll            do not enrol now (run 'labred edge enroll' later)
  --source PATH          labred wheel or checkout to install (default: $REPO_DIR)
  --python-venv DIR      use an existing environment with labred installed (link, no pip)
  --skip-pip             do not create or update the virtual environment
  --backup-path DIR      Litestream replica directory (default $VARLIB/backup/edge;
                         a second disk or NAS mount is better)
  --s3-url s3://B/P      also replicate to S3-compatible storage ($ETC/litestream-s3.yml,
                         run by labred-litestream-s3 beside the local replica); keys from
                         --s3-access-key-id/--s3-secret-access-key or LITESTREAM_ACCESS_KEY_ID/
                         LITESTREAM_SECRET_ACCESS_KEY
  --s3-endpoint URL      endpoint of S3-compatible storage (MinIO, ...)
  --port N               API port (default 8101)
  --lab-listener H:P     where the worker hears the laboratory's HL7 results (MLLP), e.g.
                         0.0.0.0:2575: lab_listener in edge.toml (set in a kept edge.toml
                         too); it wins over the listener set on the hub's laboratory page
  --root DIR             install into DIR instead of / (no user, no systemctl, no chown)
  --dry-run              print every step without doing it
  -h, --help             this help
EOF
}

HUB_URL="" CODE="" NO_ENROLL=0 SOURCE=$REPO_DIR PYVENV="" SKIP_PIP=0 PORT=8101 LAB_LISTENER=""
BACKUP_PATH=$VARLIB/backup/edge S3_URL="" S3_ENDPOINT=""
S3_KEY=${LITESTREAM_ACCESS_KEY_ID:-} S3_SECRET=${LITESTREAM_SECRET_ACCESS_KEY:-}
while (($#)); do
    case $1 in
        --hub) HUB_URL=${2:?--hub needs a URL}; shift ;;
        --code) CODE=${2:?--code needs a value}; shift ;;
        --no-enroll) NO_ENROLL=1 ;;
        --source) SOURCE=${2:?}; shift ;;
        --python-venv) PYVENV=$(cd "${2:?}" && pwd); shift ;;
        --skip-pip) SKIP_PIP=1 ;;
        --backup-path) BACKUP_PATH=${2:?}; shift ;;
        --s3-url) S3_URL=${2:?}; shift ;;
        --s3-endpoint) S3_ENDPOINT=${2:?}; shift ;;
        --s3-access-key-id) S3_KEY=${2:?}; shift ;;
        --s3-secret-access-key) S3_SECRET=${2:?}; shift ;;
        --port) PORT=${2:?}; shift ;;
        --lab-listener) LAB_LISTENER=${2:?--lab-listener needs HOST:PORT}; shift ;;
        --root) ROOT=$(realpath -m "${2:?}"); shift ;;
        --dry-run) DRY_RUN=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option $1" ;;
    esac
    shift
done
[[ $PORT =~ ^[0-9]+$ ]] || die "--port must be a number"
[[ -z $S3_URL || $S3_URL == s3://?* ]] || die "--s3-url must look like s3://bucket/path"
[[ -z $CODE || -n $HUB_URL ]] || die "--code needs --hub URL"
if [[ -n $LAB_LISTENER ]]; then
    if ! [[ $LAB_LISTENER =~ ^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$ ]] ||
        ((BASH_REMATCH[2] < 1 || BASH_REMATCH[2] > 65535)); then
        die "--lab-listener must be HOST:PORT (e.g. 0.0.0.0:2575), not '$LAB_LISTENER'"
    fi
fi

DATA=$VARLIB/edge
DB=$DATA/edge.sqlite3
need_root_user
log "installing the edge node${ROOT:+ under $ROOT}"
check_os
((SKIP_PIP)) || [[ -n $PYVENV ]] || ensure_apt python3 python3-venv
ensure_user
ensure_dir "$OPT" 0755 root:root
ensure_dir "$ETC" 0750 "root:$LABRED_USER"
ensure_dir "$VARLIB" 0755 root:root
ensure_dir "$DATA" 0750 "$LABRED_USER:$LABRED_USER"
ensure_dir "$VARLIB/backup" 0750 "$LABRED_USER:$LABRED_USER"
ensure_dir "$BACKUP_PATH" 0750 "$LABRED_USER:$LABRED_USER"
ensure_venv "$SOURCE" "$PYVENV" "$SKIP_PIP"

HUB_LINE="# hub_url = \"https://hub.example.pe\""
[[ -z $HUB_URL ]] || HUB_LINE="hub_url = \"$HUB_URL\""
LAB_LINE="# lab_listener = \"0.0.0.0:2575\""
[[ -z $LAB_LISTENER ]] || LAB_LINE="lab_listener = \"$LAB_LISTENER\""
# Configuration: written once (it holds the JWT secret); later runs keep it and its edits.
put_file_once "$ETC/edge.toml" 0640 "root:$LABRED_USER" <<EOF
# labred edge node: written by install-edge.sh; edit, then: systemctl restart labred-edge
host = "0.0.0.0"
port = $PORT
$HUB_LINE
log_level = "INFO"
# API processes sharing the port (1 to 16; also 'labred edge serve --workers N' or
# LABRED_EDGE_WORKERS). 2 uses a second core for about 115 MB more memory.
# workers = 2
# Where the worker hears the laboratory's HL7 results (MLLP), HOST:PORT; it wins over the
# listener set on the hub's laboratory page (also --lab-listener, LABRED_EDGE_LAB_LISTENER).
$LAB_LINE
# Seconds between two rounds of the worker's jobs named here (0.2 to 86400 each; the others
# keep their own, e.g. sync.pull 5, sunat.summaries 15; also LABRED_EDGE_JOB_INTERVALS as
# JSON). A sede on a metered 4G link may pull less often:
# job_intervals = { "sync.pull" = 30 }
jwt_secret = "$(secret)"
EOF
# --lab-listener on a node installed before: set that one key in the kept edge.toml.
LAB_CHANGED=0
if [[ -n $LAB_LISTENER && -f $ROOT$ETC/edge.toml ]]; then
    if grep -qxF "$LAB_LINE" "$ROOT$ETC/edge.toml"; then
        ok "edge.toml: $LAB_LINE"
    else
        change "edge.toml: $LAB_LINE"
        LAB_CHANGED=1
        if ((!DRY_RUN)); then
            tmp=$(mktemp)
            grep -vE '^[[:space:]]*#?[[:space:]]*lab_listener[[:space:]]*=' "$ROOT$ETC/edge.toml" \
                >"$tmp" || true
            printf '%s\n' "$LAB_LINE" >>"$tmp"
            cat "$tmp" >"$ROOT$ETC/edge.toml" # same file: its mode and owner stay
            rm -f "$tmp"
        fi
    fi
fi

# Litestream 0.5 takes one replica per database and process: the local replica always
# (labred-litestream), S3 in a second configuration and process (labred-litestream-s3, its own
# meta-path) when --s3-url is given. Same text as edge.backup.litestream_config().
LS_HEADER="# Written by labred's installer (edge/backup.py); Litestream 0.5 format.
# One replica per database and process: the local one (litestream.yml, labred-
# litestream) always; S3 (litestream-s3.yml, labred-litestream-s3) when configured.
dbs:
  - path: \"$DB\""
LS_BEFORE=$CHANGES
put_file "$ETC/litestream.yml" 0640 "root:$LABRED_USER" <<EOF
$LS_HEADER
    replica:
      type: file
      path: "$BACKUP_PATH"
      sync-interval: 1s
EOF
LOCAL_CHANGED=$((CHANGES - LS_BEFORE))
LS_BEFORE=$CHANGES
if [[ -n $S3_URL ]]; then
    # Heredocs, not pipes: put_file must run in this shell so that CHANGES counts its change.
    S3_EXTRA=""
    if [[ -n $S3_ENDPOINT ]]; then
        S3_EXTRA="      endpoint: \"$S3_ENDPOINT\"
      force-path-style: true
"
    fi
    put_file "$ETC/litestream-s3.yml" 0640 "root:$LABRED_USER" <<EOF
$LS_HEADER
    meta-path: "$DATA/.$(basename "$DB")-litestream-s3"
    replica:
      url: "$S3_URL"
${S3_EXTRA}      sync-interval: 1s
EOF
    [[ -n $S3_KEY && -n $S3_SECRET ]] ||
        warn "no S3 keys given: set them in $ETC/litestream.env, then: systemctl restart" \
            "labred-litestream-s3"
    put_file "$ETC/litestream.env" 0640 "root:$LABRED_USER" <<EOF
LITESTREAM_ACCESS_KEY_ID=$S3_KEY
LITESTREAM_SECRET_ACCESS_KEY=$S3_SECRET
EOF
elif [[ -f $ROOT$ETC/litestream-s3.yml ]]; then
    ok "S3 replica kept as configured ($ETC/litestream-s3.yml; delete it to stop replicating to S3)"
else
    log "S3 replica: not configured (--s3-url adds one beside the local replica)"
fi
S3_CHANGED=$((CHANGES - LS_BEFORE))

UNITS=(labred-litestream.service labred-litestream-s3.service labred-edge.service
    labred-edge-worker.service)
install_units "${UNITS[@]}"
# ProtectSystem=strict leaves only ReadWritePaths writable: a replica outside
# /var/lib/labred/backup (a NAS mount, a second disk) needs its own entry, in a drop-in.
DROPIN=$UNIT_DIR/labred-litestream.service.d/backup-path.conf
if [[ $BACKUP_PATH != "$VARLIB/backup" && $BACKUP_PATH != "$VARLIB/backup/"* ]]; then
    before=$CHANGES
    put_file "$DROPIN" 0644 root:root <<EOF
# Written by install-edge.sh (--backup-path)
[Service]
ReadWritePaths=$BACKUP_PATH
EOF
    UNITS_CHANGED=$((UNITS_CHANGED + CHANGES - before))
elif [[ -e $ROOT$DROPIN ]]; then
    change "remove $DROPIN (the replica is under $VARLIB/backup again)"
    ((DRY_RUN)) || rm -f -- "$ROOT$DROPIN"
    UNITS_CHANGED=$((UNITS_CHANGED + 1))
fi

# Enrolment with the hub (creates the database, takes the sede's identity and a new epoch).
if ((NO_ENROLL)); then
    log "enrolment: skipped (--no-enroll); later: labred edge enroll --data-dir $DATA" \
        "--config $ETC/edge.toml --hub URL --code CODE"
elif [[ -f $ROOT$DATA/secrets/node.json ]]; then
    ok "node already enrolled ($DATA/secrets/node.json)"
elif [[ -n $CODE ]]; then
    change "enrol with $HUB_URL"
    labred_cmd edge enroll --data-dir "$ROOT$DATA" --config "$ROOT$ETC/edge.toml" \
        --hub "$HUB_URL" --code "$CODE"
else
    warn "not enrolled: rerun with --hub URL --code CODE (or --no-enroll)"
fi

enable_units "${UNITS[@]}"
# A changed configuration reaches an already running Litestream only by a restart.
((LOCAL_CHANGED == 0)) || restart_unit labred-litestream.service
((S3_CHANGED == 0)) || restart_unit labred-litestream-s3.service
((LAB_CHANGED == 0)) || restart_unit labred-edge-worker.service
log "logs: journalctl -u labred-edge -u labred-edge-worker -u labred-litestream" \
    "-u labred-litestream-s3"
finish
