#!/usr/bin/env bash
# install-furrow.sh: the EMR bootstrap action that installs furrow on a node.
#
# EMR runs it on every node, as the hadoop user (it uses sudo), before the
# cluster's steps. It
#   1. downloads the furrow binary (aws s3 cp for s3://, curl for https://),
#      checks its SHA-256 and installs it as /usr/local/bin/furrow;
#   2. creates the dedicated user (default furrow) and the spill folder;
#   3. downloads the EMR PEM bundle zip (the object the security
#      configuration names) with the installed `furrow cp`, checks it with
#      `furrow validate --tls-bundle`, and installs it as
#      /etc/furrow/tls/bundle.zip (folder 0700, file 0600, owned by the user);
#   4. writes /etc/furrow/worker.yml (seed: the master's private DNS name from
#      /mnt/var/lib/info/job-flow.json, or --seed) and the systemd unit
#      furrow-worker.service sized to the node, and starts the worker.
# Re-running it changes nothing that is already in place; the worker is
# restarted only when its binary, TLS material, config or unit changed.
#
# Usage:
#   install-furrow.sh --binary s3://BUCKET/furrow-linux-amd64 [--sha256 HEX]
#                     [--tls-bundle s3://BUCKET/my-certs.zip] [--seed HOST]
#                     [--user furrow] [--shuffle-port 7447] [--gossip-port 7946]
#                     [--metrics-port 9464] [--spill-dir /mnt/furrow/spill]
#                     [--memory-budget SIZE] [--no-worker]
# Without --sha256 the checksum is read from <binary URL>.sha256 (the first
# word: what `sha256sum furrow > furrow.sha256` writes).
#
# Environment, for tests and other layouts: FURROW_ROOT is prepended to every
# path the script writes or reads (default: the real root);
# FURROW_EMR_INFO_DIR (default $FURROW_ROOT/mnt/var/lib/info) and
# FURROW_MEMINFO (default /proc/meminfo).
set -euo pipefail

log() { printf 'install-furrow: %s\n' "$*" >&2; }
die() {
  printf 'install-furrow: error: %s\n' "$*" >&2
  exit 1
}
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

root="${FURROW_ROOT:-}"
root="${root%/}"
info_dir="${FURROW_EMR_INFO_DIR:-$root/mnt/var/lib/info}"
meminfo="${FURROW_MEMINFO:-/proc/meminfo}"

binary_url=""
sha256=""
tls_url=""
seed=""
user="furrow"
shuffle_port=7447
gossip_port=7946
metrics_port=9464
spill_dir="/mnt/furrow/spill"
memory_budget=""
worker=1

need() {
  if [ $# -lt 2 ] || [ -z "$2" ]; then
    die "$1 needs a value (see --help)"
  fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) need "$@"; binary_url="$2"; shift 2 ;;
    --sha256) need "$@"; sha256="$2"; shift 2 ;;
    --tls-bundle) need "$@"; tls_url="$2"; shift 2 ;;
    --seed) need "$@"; seed="$2"; shift 2 ;;
    --user) need "$@"; user="$2"; shift 2 ;;
    --shuffle-port) need "$@"; shuffle_port="$2"; shift 2 ;;
    --gossip-port) need "$@"; gossip_port="$2"; shift 2 ;;
    --metrics-port) need "$@"; metrics_port="$2"; shift 2 ;;
    --spill-dir) need "$@"; spill_dir="$2"; shift 2 ;;
    --memory-budget) need "$@"; memory_budget="$2"; shift 2 ;;
    --no-worker) worker=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

[ -n "$binary_url" ] || die "--binary is required: the s3:// or https:// location of the furrow linux binary"
[[ "$user" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "--user '$user' is not a valid user name"
for port in "$shuffle_port" "$gossip_port" "$metrics_port"; do
  if ! [[ "$port" =~ ^[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
    die "port '$port' is not a TCP port"
  fi
done
[[ "$spill_dir" == /* ]] || die "--spill-dir '$spill_dir' is not an absolute path"
if [ "$worker" = 1 ] && [ -z "$tls_url" ]; then
  die "--tls-bundle is required for the worker (the EMR PEM bundle zip), or pass --no-worker"
fi

uid="$(id -u)"
# as_root runs a command as root: directly when the script already is root,
# else through sudo (EMR's hadoop user has passwordless sudo).
as_root() {
  if [ "$uid" -eq 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

bin_path=/usr/local/bin/furrow
tls_dir=/etc/furrow/tls
bundle_path="$tls_dir/bundle.zip"
worker_config=/etc/furrow/worker.yml
unit_path=/etc/systemd/system/furrow-worker.service
changed=0   # set when anything the worker uses changed
installed=0 # set by install_file when it wrote

# install_file SRC DEST MODE OWNER: installs SRC as $root/DEST (atomically)
# unless an identical file is there, then makes sure of mode and owner.
install_file() {
  local src="$1" dest="$root$2" mode="$3" owner="$4"
  installed=0
  if as_root test -f "$dest" && as_root cmp -s "$src" "$dest"; then
    log "unchanged: $2"
  else
    as_root install -m "$mode" "$src" "$dest.new"
    as_root chown "$owner" "$dest.new"
    as_root mv -f "$dest.new" "$dest"
    installed=1
    changed=1
    log "installed $2"
  fi
  as_root chmod "$mode" "$dest"
  as_root chown "$owner" "$dest"
}

# fetch URL DEST downloads before furrow is installed.
fetch() {
  case "$1" in
    s3://*)
      command -v aws >/dev/null 2>&1 || die "the AWS CLI is needed to download $1 (or give an https:// URL)"
      aws s3 cp --only-show-errors "$1" "$2" || die "downloading $1 failed"
      ;;
    https://* | http://*)
      # http:// is accepted because the checksum is verified below.
      curl -fsSL --retry 5 --retry-delay 2 -o "$2" "$1" || die "downloading $1 failed"
      ;;
    *) die "'$1' is not an s3:// or https:// URL" ;;
  esac
}

# 1. The binary.
log "downloading $binary_url"
fetch "$binary_url" "$tmp/furrow"
if [ -z "$sha256" ]; then
  fetch "$binary_url.sha256" "$tmp/furrow.sha256"
  sha256="$(awk '{ print $1; exit }' "$tmp/furrow.sha256")"
fi
[[ "$sha256" =~ ^[0-9a-fA-F]{64}$ ]] || die "the expected SHA-256 '$sha256' is not 64 hex digits"
actual="$(sha256sum "$tmp/furrow" | awk '{ print $1 }')"
[ "$actual" = "${sha256,,}" ] || die "SHA-256 mismatch for $binary_url: expected ${sha256,,}, downloaded $actual"
chmod 0755 "$tmp/furrow"
"$tmp/furrow" version >/dev/null || die "the downloaded binary does not run on this node ($(uname -m))"
as_root install -d -m 0755 "$root/usr/local/bin" "$root/etc/furrow" "$root/etc/systemd/system"
install_file "$tmp/furrow" "$bin_path" 0755 root:root
furrow="$root$bin_path"
log "$("$furrow" version)"

# 2. The user and the spill folder.
if id -u "$user" >/dev/null 2>&1; then
  log "user $user exists"
else
  as_root useradd --system --user-group --no-create-home --home-dir /var/lib/furrow --shell /sbin/nologin "$user"
  log "created system user $user"
fi
as_root install -d -m 0700 "$root$spill_dir"
as_root chown "$user:$user" "$root$spill_dir"

# 3. The TLS material.
if [ -n "$tls_url" ]; then
  log "downloading the TLS bundle $tls_url"
  "$furrow" cp "$tls_url" "$tmp/bundle.zip" || die "downloading $tls_url failed"
  if ! "$furrow" validate --tls-bundle "$tmp/bundle.zip" >"$tmp/tls-check" 2>&1; then
    cat "$tmp/tls-check" >&2
    die "the TLS bundle $tls_url is not usable"
  fi
  as_root install -d -m 0700 "$root$tls_dir"
  as_root chown "$user:$user" "$root$tls_dir"
  install_file "$tmp/bundle.zip" "$bundle_path" 0600 "$user:$user"
fi

# 4. The worker.
if [ "$worker" = 0 ]; then
  log "--no-worker: furrow is installed; no worker service"
  exit 0
fi
role="core or task"
job_flow=""
if [ -f "$info_dir/instance.json" ] && grep -Eq '"isMaster"[[:space:]]*:[[:space:]]*true' "$info_dir/instance.json"; then
  role="master"
fi
if [ -f "$info_dir/job-flow.json" ]; then
  job_flow="$(sed -n 's/.*"jobFlowId"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$info_dir/job-flow.json" | head -n 1)"
fi
if [ -z "$seed" ]; then
  [ -f "$info_dir/job-flow.json" ] || die "no --seed given and no $info_dir/job-flow.json to read the master's address from (is this an EMR node?)"
  seed="$(sed -n 's/.*"masterPrivateDnsName"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$info_dir/job-flow.json" | head -n 1)"
  [ -n "$seed" ] || die "masterPrivateDnsName not found in $info_dir/job-flow.json; pass --seed"
fi
[[ "$seed" =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ ]] || die "seed '$seed' is not a host name"
mem_kb="$(awk '/^MemTotal:/ { print $2; exit }' "$meminfo")"
[[ "$mem_kb" =~ ^[0-9]+$ ]] || die "cannot read MemTotal from $meminfo"
log "node: $role, seed $seed, memory ${mem_kb} kB"

config_args=(
  --seed "$seed" --shuffle-port "$shuffle_port" --gossip-port "$gossip_port" --metrics-port "$metrics_port"
  --tls-bundle "$bundle_path" --spill-dir "$spill_dir" --memory-total "${mem_kb}KiB"
  --role "$role" --job-flow-id "$job_flow"
)
if [ -n "$memory_budget" ]; then
  config_args+=(--memory-budget "$memory_budget")
fi
"$furrow" emr worker-config "${config_args[@]}" >"$tmp/worker.yml"
install_file "$tmp/worker.yml" "$worker_config" 0640 "root:$user"

"$furrow" emr systemd-unit --user "$user" --binary "$bin_path" --worker-config "$tmp/worker.yml" \
  --memory-total "${mem_kb}KiB" >"$tmp/furrow-worker.service"
install_file "$tmp/furrow-worker.service" "$unit_path" 0644 root:root

if [ "$installed" = 1 ]; then
  as_root systemctl daemon-reload
fi
as_root systemctl enable furrow-worker.service
if [ "$changed" = 1 ]; then
  as_root systemctl restart furrow-worker.service
  log "furrow-worker.service (re)started"
else
  as_root systemctl start furrow-worker.service
  log "furrow-worker.service already up to date"
fi
for _ in 1 2 3 4 5 6 7 8 9 10; do
  if as_root systemctl is-active --quiet furrow-worker.service; then
    log "done: furrow-worker.service is active"
    exit 0
  fi
  sleep 1
done
as_root journalctl -u furrow-worker.service -n 50 --no-pager >&2 || true
die "furrow-worker.service did not become active (its log is above)"
