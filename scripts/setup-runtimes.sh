#!/usr/bin/env bash
# Optional OCI runtimes for the sandbox (SANDBOX_RUNTIME), detected and
# registered with dockerd. Idempotent; called by scripts/setup.sh after the
# engine answers. Never changes dockerd's default runtime (runc).
#
#   runsc  gVisor (Debian `runsc`): a user-space kernel between the program and
#          the host's. Registered with runtimeArgs ["--network=none"] (the
#          sandbox has no network anyway; runsc's netstack set-up is what fails
#          here otherwise).
#   crun   (Debian `crun`): a lighter runc. On a hybrid cgroup host whose
#          hugetlb controller is bound to cgroup2 (no v1 hierarchy of its own),
#          crun refuses with "cgroups in hybrid mode not supported"; mounting a
#          v1 hierarchy for hugetlb beside the other v1 controllers frees it.
#          Registered only when a container actually starts with it.
#
# dockerd reads `runtimes` from /etc/docker/daemon.json again on SIGHUP, so
# registering needs no restart (running containers are not touched).
set -euo pipefail
cd "$(dirname "$0")/.."

quiet=false
[ "${1:-}" = "--quiet" ] && quiet=true
say() { $quiet || echo "setup: $*"; }
[ "${PADDOCK_SKIP_RUNTIMES:-}" = 1 ] && { say "optional runtimes skipped (PADDOCK_SKIP_RUNTIMES=1)"; exit 0; }

config=${DOCKERD_CONFIG:-/etc/docker/daemon.json}
image=${SANDBOX_IMAGE:-$(sed -n "s/^export const DEFAULT_SANDBOX_IMAGE = '\(.*\)';/\1/p" core/config.ts)}

registered() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q "\"$1\""; }

if [ "$(id -u)" -ne 0 ]; then
  for rt in runsc crun; do registered "$rt" || say "$rt not registered with dockerd (run setup as root to add it)"; done
  exit 0
fi

missing=()
command -v runsc >/dev/null || missing+=(runsc)
command -v crun >/dev/null || missing+=(crun)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
    || say "could not install ${missing[*]}; continuing without"
fi

# crun and the hybrid cgroup layout: give hugetlb a v1 hierarchy when it has none.
free_hugetlb() {
  [ -d /sys/fs/cgroup/memory ] && [ -f /sys/fs/cgroup/unified/cgroup.controllers ] || return 0
  grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers || return 0
  grep -q ' cgroup .*hugetlb' /proc/mounts && return 0
  say "mounting a cgroup v1 hierarchy for hugetlb (crun refuses hybrid mode with it on cgroup2)"
  # /sys/fs/cgroup is a tmpfs that may be mounted read-only.
  mkdir -p /sys/fs/cgroup/hugetlb 2>/dev/null || { mount -o remount,rw /sys/fs/cgroup && mkdir -p /sys/fs/cgroup/hugetlb; } \
    && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
}
if command -v crun >/dev/null; then
  free_hugetlb || say "could not mount the hugetlb hierarchy; crun will be tried as is"
fi

# Adds or removes runtimes in daemon.json (JSON merged with the project's Node), then reloads dockerd.
edit_runtimes() {
  node -e '
    const fs = require("fs");
    const [file, op, name, path, ...rtArgs] = process.argv.slice(1);
    let cfg = {};
    try { cfg = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) { if (e.code !== "ENOENT") throw e; }
    cfg.runtimes ??= {};
    if (op === "add") cfg.runtimes[name] = { path, ...(rtArgs.length ? { runtimeArgs: rtArgs } : {}) };
    else delete cfg.runtimes[name];
    fs.mkdirSync(require("path").dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(cfg, null, 2) + "\n");
  ' "$config" "$@"
  kill -HUP "$(pidof dockerd)"
  for _ in $(seq 1 40); do
    if [ "$1" = add ] && registered "$2"; then return 0; fi
    if [ "$1" = del ] && ! registered "$2"; then return 0; fi
    sleep 0.25
  done
  return 1
}

# A runtime is kept only when the sandbox image starts under it.
try_runtime() {
  local name=$1
  shift
  registered "$name" && return 0
  command -v "$name" >/dev/null || return 0
  edit_runtimes add "$name" "$(command -v "$name")" "$@" || { say "dockerd did not pick up $name"; return 0; }
  if docker image inspect "$image" >/dev/null 2>&1 \
    && docker run --rm --runtime "$name" --network none "$image" /bin/true >/dev/null 2>&1; then
    say "registered the $name runtime with dockerd (SANDBOX_RUNTIME=$name)"
  else
    edit_runtimes del "$name" || true
    say "$name does not start containers here; not registered"
  fi
}

pidof dockerd >/dev/null || { say "dockerd is not a local process; register runsc/crun in its daemon.json by hand"; exit 0; }
try_runtime runsc --network=none
try_runtime crun
