#!/usr/bin/env bash
# Builds the sandbox image without any container registry: debootstrap a minimal
# Debian rootfs with the language runtimes, then `docker import` it under the tag
# the code uses.
#
#   docker/sandbox/build-offline.sh [TAG]      (default: paddock-sandbox:v6)
#
# Two stages, each skipped when already done:
#   1. base: debootstrap + sandbox user + shrinking, kept as a tarball in
#      $PADDOCK_CACHE_DIR (default /var/cache/paddock), keyed by suite, mirror,
#      package list and the base recipe below. Takes minutes; done once.
#   2. image: base + the agent's user + the files under rootfs/ (copied
#      verbatim, root-owned, not group/world-writable), imported with the
#      runtime config. Takes seconds.
# Idempotent: an image whose `paddock.recipe` label matches the hash of this
# script and rootfs/ is left alone. Concurrent runs serialise on a lock file.
#
# Hosts that can pull images may use docker/sandbox/Dockerfile instead; both give
# the same tag, users, workdir, environment, labels and runtimes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tag=${1:-${SANDBOX_IMAGE:-paddock-sandbox:v6}}
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=python3,python3-pytest,python3-numpy,python3-matplotlib,nodejs,bash,coreutils,procps
cache=${PADDOCK_CACHE_DIR:-/var/cache/paddock}

# A modern Node for `node main.js` (Debian's Node 18 has no V8 startup snapshot and takes
# ~110 ms to start; Node 24 ~40 ms): the binary the npm package `node` (a devDependency)
# ships, copied to /usr/local/bin/node. Debian's nodejs stays (its libraries, `nodejs`).
node_bin=${SANDBOX_NODE_BINARY:-$here/../../node_modules/node/bin/node}
[ -x "$node_bin" ] || { echo "no Node binary at $node_bin: run npm install (the npm package node)" >&2; exit 1; }

# The recipe covers this script, rootfs/ (names, modes and contents) and the Node binary.
recipe=$( {
  cat "$0"
  "$node_bin" --version
  if [ -d "$here/rootfs" ]; then
    (cd "$here/rootfs" && find . -print0 | LC_ALL=C sort -z | xargs -0r stat -c '%n %a %F' \
      && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
  fi
} | sha256sum | cut -c1-16)

image_recipe() { docker image inspect -f '{{ index .Config.Labels "paddock.recipe" }}' "$tag" 2>/dev/null || true; }

if [ "$(image_recipe)" = "$recipe" ]; then
  echo "sandbox image $tag is up to date (recipe $recipe)"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/build.lock"
if ! flock -n 9; then
  echo "another sandbox image build is running; waiting for it"
  flock 9
  if [ "$(image_recipe)" = "$recipe" ]; then
    echo "sandbox image $tag is up to date (recipe $recipe)"
    exit 0
  fi
fi

work=$(mktemp -d /var/tmp/paddock-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"

# Everything that decides the base rootfs' content; its source is part of the cache key.
build_base() {
  echo "debootstrap $suite into $root (packages: $packages)"
  debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 40 "$work/debootstrap.log" >&2
    exit 1
  }
  # The sandbox user: fixed uid/gid so the container spec can name it numerically.
  chroot "$root" groupadd --gid 10001 sandbox
  chroot "$root" useradd --uid 10001 --gid 10001 --home-dir /workspace --no-create-home --shell /bin/bash sandbox
  mkdir -p "$root/workspace"
  chown 10001:10001 "$root/workspace"
  chmod 0755 "$root/workspace"
  # Shrink: package manager state, caches and docs are of no use in a sandbox.
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
         "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/var/log/*
  # No setuid/setgid binaries: nothing inside may regain privileges.
  find "$root" -xdev -perm /6000 -type f -exec chmod ug-s {} +
}

base_key=$( { printf '%s\n' "$suite" "$mirror" "$packages"; declare -f build_base; } | sha256sum | cut -c1-16)
base_tar="$cache/sandbox-base-$suite-$base_key.tar"

if [ -f "$base_tar" ]; then
  echo "using cached base rootfs $base_tar"
  mkdir -p "$root"
  tar -C "$root" --numeric-owner -xf "$base_tar"
else
  build_base
  tar -C "$root" --numeric-owner -cf "$base_tar.partial" .
  mv -f "$base_tar.partial" "$base_tar"
  # Older bases (other suite, packages or recipe) are dead weight.
  find "$cache" -maxdepth 1 -name 'sandbox-base-*.tar' ! -name "$(basename "$base_tar")" -delete
  echo "cached the base rootfs as $base_tar"
fi

# The agent's user (agent.py runs as it; programs run as `sandbox`, 10001, from
# the base): a different uid is what keeps programs from prlimit, renice, kill or
# ptrace on the agent. Added here rather than in build_base, so it costs no new
# debootstrap; it owns nothing in the image.
chroot "$root" groupadd --gid 10000 paddock-agent
chroot "$root" useradd --uid 10000 --gid 10000 --home-dir / --no-create-home --shell /usr/sbin/nologin paddock-agent

# Anything under rootfs/ is copied verbatim, but root-owned, never setuid, and not writable by
# group/others, whatever the checkout's owner and umask. Existing directories
# (/, /opt, ...) keep their metadata.
if [ -d "$here/rootfs" ]; then
  tar -C "$here/rootfs" --owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w,ug-s' -cf - . \
    | tar -C "$root" --numeric-owner --no-overwrite-dir -xf -
fi

# Stripped: the npm binary carries ~20 MB of debug info a sandbox never uses.
mkdir -p "$root/usr/local/bin"
strip --strip-debug -o "$root/usr/local/bin/node" "$node_bin" 2>/dev/null || cp "$node_bin" "$root/usr/local/bin/node"
chown 0:0 "$root/usr/local/bin/node"
chmod 0755 "$root/usr/local/bin/node"

# Keep in step with the ENV/LABEL/USER/WORKDIR lines of the Dockerfile. USER is only
# the default for a container started by hand (the unprivileged sandbox user);
# the worker's spec starts the agent as 0:0 with four capabilities (sandbox/spec.ts).
tar -C "$root" --numeric-owner -c . | docker import \
  --change 'USER 10001:10001' \
  --change 'WORKDIR /workspace' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME=/workspace PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1' \
  --change 'CMD ["/bin/bash"]' \
  --change "LABEL paddock.recipe=$recipe paddock.sandbox=1" \
  - "$tag" >/dev/null
echo "built $tag (recipe $recipe): $(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=iec)"

# Drop the image this build replaced, if nothing uses it any more.
docker image prune -f --filter "label=paddock.sandbox=1" >/dev/null 2>&1 || true
