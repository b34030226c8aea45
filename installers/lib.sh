# shellcheck shell=bash
# Shared helpers of labred's installers (sourced; not run on its own).
#
# Every step either finds things already as wanted ("ok: ...") or makes one change ("+ ...").
# --dry-run prints the changes as "[dry-run] ..." and touches nothing. --root DIR applies
# everything inside DIR (a staging tree, as the tests do): no chown, no user creation, no
# systemctl, no apt; paths written into configuration files stay the final ones (/etc, /var).

LABRED_USER=labred
OPT=/opt/labred
VENV=$OPT/venv
# ETC and CRON_DIR are not read in this file, only by the scripts that source it; shellcheck
# checks each file on its own, hence the targeted SC2034 (unused variable) exceptions.
# shellcheck disable=SC2034
ETC=/etc/labred
VARLIB=/var/lib/labred
UNIT_DIR=/etc/systemd/system
# shellcheck disable=SC2034
CRON_DIR=/etc/cron.d
INSTALLERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$INSTALLERS_DIR/.." && pwd)

ROOT=""
DRY_RUN=0
CHANGES=0
STARTED_NOW="" # units enable_units started in this run (" a.service  b.service ")

log() { printf 'labred: %s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }
warn() { printf 'labred: warning: %s\n' "$*" >&2; }
die() { printf 'labred: error: %s\n' "$*" >&2; exit 1; }

under_root() { [[ -n $ROOT ]]; }

# change DESCRIPTION: one change is about to be made (or, in a dry run, would be).
change() {
    CHANGES=$((CHANGES + 1))
    if ((DRY_RUN)); then printf '[dry-run] %s\n' "$*"; else printf '+ %s\n' "$*"; fi
}

# run CMD...: run a command that makes a change (printed; skipped in a dry run).
run() {
    change "run: $*"
    ((DRY_RUN)) || "$@"
}

# skip WHAT: something done only on a real system (not under --root).
skip_root() { printf 'skipped (under --root %s): %s\n' "$ROOT" "$*"; }

need_root_user() {
    if ! under_root && ((!DRY_RUN)) && [[ $(id -u) -ne 0 ]]; then
        die "run as root (sudo), or use --root DIR / --dry-run"
    fi
}

check_os() {
    local id="" like=""
    if [[ -r /etc/os-release ]]; then
        # SC1091: /etc/os-release belongs to the machine being installed, not to this
        # repository, so shellcheck cannot (and need not) follow it.
        # shellcheck disable=SC1091
        id=$(. /etc/os-release && echo "${ID:-}")
        # shellcheck disable=SC1091
        like=$(. /etc/os-release && echo "${ID_LIKE:-}")
    fi
    case " $id $like " in
        *" debian "* | *" ubuntu "*) ok "operating system: ${id}" ;;
        *)
            if under_root || ((DRY_RUN)); then
                warn "not Debian/Ubuntu (${id:-unknown}); continuing (--root / --dry-run)"
            else
                die "Debian or Ubuntu is required (found ${id:-unknown})"
            fi
            ;;
    esac
}

# chown_maybe OWNER:GROUP PATH
chown_maybe() {
    under_root && return 0
    chown "$1" "$2"
}

owner_of() { stat -c %U:%G "$1"; }
mode_of() { stat -c %a "$1"; }

# ensure_dir PATH MODE OWNER:GROUP
ensure_dir() {
    local path=$1 mode=$2 owner=$3 target=$ROOT$1
    if [[ -d $target && $(mode_of "$target") == "${mode#0}" ]] &&
        { under_root || [[ $(owner_of "$target") == "$owner" ]]; }; then
        ok "directory $path"
        return 0
    fi
    change "directory $path (mode $mode, $owner)"
    ((DRY_RUN)) && return 0
    mkdir -p "$target"
    chmod "$mode" "$target"
    chown_maybe "$owner" "$target"
}

# put_file PATH MODE OWNER:GROUP < CONTENT   (written when content, mode or owner differ)
put_file() {
    local path=$1 mode=$2 owner=$3 target=$ROOT$1 tmp
    tmp=$(mktemp)
    cat >"$tmp"
    if [[ -f $target ]] && cmp -s "$tmp" "$target" && [[ $(mode_of "$target") == "${mode#0}" ]] &&
        { under_root || [[ $(owner_of "$target") == "$owner" ]]; }; then
        rm -f "$tmp"
        ok "file $path"
        return 0
    fi
    if [[ -f $target ]]; then
        change "update $path (mode $mode, $owner)"
    else
        change "write $path (mode $mode, $owner)"
    fi
    if ((DRY_RUN)); then
        rm -f "$tmp"
        return 0
    fi
    mkdir -p "$(dirname "$target")"
    install -m "$mode" "$tmp" "$target"
    chown_maybe "$owner" "$target"
    rm -f "$tmp"
}

# put_file_once PATH MODE OWNER:GROUP < CONTENT   (configuration: never overwritten; only its
# mode and owner are corrected, so secrets stay as generated and edits are kept)
put_file_once() {
    local path=$1 mode=$2 owner=$3 target=$ROOT$1
    if [[ -f $target ]]; then
        cat >/dev/null
        if [[ $(mode_of "$target") != "${mode#0}" ]]; then
            change "mode $mode on $path (kept its content)"
            ((DRY_RUN)) || chmod "$mode" "$target"
        else
            ok "file $path (kept as it is)"
        fi
        if ! under_root && [[ $(owner_of "$target") != "$owner" ]]; then
            change "owner $owner on $path"
            ((DRY_RUN)) || chown "$owner" "$target"
        fi
        return 0
    fi
    put_file "$path" "$mode" "$owner"
}

secret() { head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48; }

ensure_user() {
    if under_root; then
        skip_root "system user $LABRED_USER (would run: useradd --system --user-group" \
            "--home-dir $VARLIB --shell /usr/sbin/nologin $LABRED_USER)"
        return 0
    fi
    if getent passwd "$LABRED_USER" >/dev/null; then
        ok "system user $LABRED_USER"
        return 0
    fi
    run useradd --system --user-group --home-dir "$VARLIB" --shell /usr/sbin/nologin \
        "$LABRED_USER"
}

ensure_apt() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        ok "packages $*"
        return 0
    fi
    if under_root; then
        skip_root "apt-get install -y ${missing[*]}"
        return 0
    fi
    run apt-get install -y --no-install-recommends "${missing[@]}"
}

# source_id PATH: what is installed from PATH (a wheel's checksum or a checkout's commit).
source_id() {
    local src=$1
    if [[ -f $src ]]; then
        echo "wheel:$(sha256sum "$src" | cut -d' ' -f1)"
    elif git -C "$src" rev-parse HEAD >/dev/null 2>&1; then
        echo "git:$(git -C "$src" rev-parse HEAD):$(git -C "$src" status --porcelain |
            sha256sum | cut -c1-12)"
    else
        echo "dir:$(date +%s)"
    fi
}

# ensure_venv SOURCE PYTHON_VENV SKIP_PIP: /opt/labred/venv from a wheel or a checkout, or a
# link to an existing environment (tests, air-gapped machines).
ensure_venv() {
    local src=$1 existing=$2 skip=$3 target=$ROOT$VENV
    if [[ -n $existing ]]; then
        [[ -x $existing/bin/labred ]] || die "--python-venv $existing has no bin/labred"
        if [[ -L $target && $(readlink "$target") == "$existing" ]]; then
            ok "virtual environment $VENV -> $existing"
            return 0
        fi
        [[ -e $target && ! -L $target ]] && die "$VENV exists and is not a link; remove it first"
        change "link $VENV -> $existing"
        ((DRY_RUN)) || { mkdir -p "$(dirname "$target")" && ln -sfn "$existing" "$target"; }
        return 0
    fi
    if ((skip)); then
        log "virtual environment: skipped (--skip-pip)"
        return 0
    fi
    [[ -e $src ]] || die "--source $src does not exist (a labred wheel or checkout)"
    local id stamp=$target/.labred-source
    id=$(source_id "$src")
    if [[ -f $stamp && $(cat "$stamp") == "$id" ]]; then
        ok "virtual environment $VENV ($id)"
        return 0
    fi
    if [[ ! -x $target/bin/python ]]; then
        run python3 -m venv "$target"
    fi
    run "$target/bin/pip" install --quiet --upgrade "$src"
    if ((!DRY_RUN)); then printf '%s\n' "$id" >"$stamp"; fi
}

# labred_cmd ARGS...: run labred from the installed environment, as the service user.
labred_cmd() {
    local bin=$ROOT$VENV/bin/labred
    if ((DRY_RUN)); then
        printf '[dry-run] run: %s %s\n' "$VENV/bin/labred" "$*"
        return 0
    fi
    [[ -x $bin ]] || die "$VENV/bin/labred is missing (install without --skip-pip)"
    if under_root || [[ $(id -un) == "$LABRED_USER" ]]; then
        "$bin" "$@"
    else
        runuser -u "$LABRED_USER" -- "$bin" "$@"
    fi
}

# install_units UNIT...: copy units from systemd/ next to the installers; UNITS_CHANGED says
# how many changed (for daemon-reload).
install_units() {
    local unit before=$CHANGES
    for unit in "$@"; do
        [[ -f $REPO_DIR/systemd/$unit ]] || die "unit $unit not found in $REPO_DIR/systemd"
        put_file "$UNIT_DIR/$unit" 0644 root:root <"$REPO_DIR/systemd/$unit"
    done
    UNITS_CHANGED=$((CHANGES - before))
}

# enable_units UNIT...: daemon-reload when units changed; enable (and start) each one.
enable_units() {
    local unit
    if under_root; then
        skip_root "systemctl daemon-reload; systemctl enable --now $*"
        return 0
    fi
    if ((UNITS_CHANGED > 0)); then run systemctl daemon-reload; fi
    for unit in "$@"; do
        if systemctl is-enabled --quiet "$unit" 2>/dev/null; then
            ok "unit $unit enabled"
        else
            run systemctl enable --now "$unit"
            STARTED_NOW+=" $unit "
        fi
    done
}

# restart_unit UNIT: restart a unit whose configuration changed (a stopped one is started, and a
# unit whose condition now holds starts).
restart_unit() {
    if under_root; then
        skip_root "systemctl restart $1"
        return 0
    fi
    if [[ $STARTED_NOW == *" $1 "* ]]; then
        ok "unit $1 just started with the new configuration"
        return 0
    fi
    run systemctl restart "$1"
}

finish() {
    if ((DRY_RUN)); then
        log "dry run: $CHANGES change(s) would be made; nothing was changed"
    elif ((CHANGES == 0)); then
        log "nothing to do: everything was already in place (no change made)"
    else
        log "done: $CHANGES change(s) made"
    fi
}
