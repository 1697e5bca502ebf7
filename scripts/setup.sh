#!/usr/bin/env bash
# Prepares this machine to run and test Paddock. Idempotent: a second run only
# checks, and takes a second or two.
#   1. npm dependencies (installed when package-lock.json changed)
#   2. Debian packages: redis-server, docker.io, debootstrap, chromium (when missing; needs root)
#   3. the Docker engine (dockerd started when not answering)
#   4. the sandbox image, built offline (debootstrap + docker import)
#   5. optional OCI runtimes (runsc, crun) registered with dockerd (scripts/setup-runtimes.sh)
#   6. with --deploy: docker-compose and Paddock's own images (docker/build-offline.sh),
#      for docker/compose.yaml and `npm run test:deploy`
# Redis is not started here: Paddock starts a private redis-server per process
# when REDIS_URL is unset.
set -euo pipefail
cd "$(dirname "$0")/.."

quiet=false
deploy=false
for arg in "$@"; do
  case $arg in
    --quiet) quiet=true ;;
    --deploy) deploy=true ;;
    *) echo "setup: unknown option $arg (--quiet, --deploy)" >&2; exit 2 ;;
  esac
done
say() { $quiet || echo "setup: $*"; }

# 1. npm dependencies. `npm install` (not `npm ci`): the registry mirror we build on
# lacks some other platforms' optional binaries (e.g. @swc/core-darwin-*), which the
# lock lists as missing and `npm ci` refuses; `npm install` skips them as optional.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm install --no-audit --no-fund --loglevel=error
fi

# 2. Debian packages
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# The console's browser tests drive Debian's chromium (test/console/browser.ts); no browser is downloaded.
command -v chromium >/dev/null || missing+=(chromium)
# Debian's docker-compose (1.29) runs docker/compose.yaml; ip (iproute2) makes the test hosts.
if $deploy; then
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  command -v ip >/dev/null || missing+=(iproute2)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run this as root" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 3. the Docker engine
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: the Docker engine is not answering and only root can start it" >&2
    exit 1
  fi
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    say "starting docker (systemd)"
    systemctl start docker
  else
    say "starting dockerd (log: /var/log/paddock-dockerd.log)"
    # setsid: the engine must outlive this script and the npm process that ran it.
    setsid nohup dockerd >/var/log/paddock-dockerd.log 2>&1 < /dev/null &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not come up; see /var/log/paddock-dockerd.log" >&2; exit 1; }
fi

# 4. the sandbox image
if $quiet; then
  bash docker/sandbox/build-offline.sh >/dev/null
else
  bash docker/sandbox/build-offline.sh
fi

# 5. optional runtimes for SANDBOX_RUNTIME
if $quiet; then bash scripts/setup-runtimes.sh --quiet; else bash scripts/setup-runtimes.sh; fi
# 6. Paddock's and Redis' images, for compose
if $deploy; then
  if $quiet; then
    bash docker/build-offline.sh >/dev/null
  else
    bash docker/build-offline.sh
  fi
fi
say "ready"
