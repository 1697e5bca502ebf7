#!/usr/bin/env bash
# Builds Paddock's own images without any container registry, the way
# docker/sandbox/build-offline.sh builds the sandbox image:
#
#   docker/build-offline.sh            both images
#   docker/build-offline.sh redis      only the Redis image
#
#   paddock-redis:7   Debian's redis-server (bookworm), nothing else
#   paddock:local     Node (the binary the npm package `node` ships, the same one
#                     `npm start` runs) + the app + its production node_modules
#
# Override the tags with PADDOCK_IMAGE / PADDOCK_REDIS_IMAGE (docker/compose.yaml
# reads the same names). Stages, each skipped when already done:
#   1. base: one debootstrap (minbase + redis-server + ca-certificates) kept as a
#      tarball in $PADDOCK_CACHE_DIR (default /var/cache/paddock). Minutes, once.
#   2. production node_modules: a copy of ./node_modules pruned of dev
#      dependencies, cached as a tarball keyed by package-lock.json. Seconds.
#   3. each image: base (+ node, app, modules), `docker import`ed with its
#      runtime config. An image whose `paddock.recipe` label matches the hash of
#      what went into it is left alone, so a second run takes about a second.
# Concurrent runs serialise on a lock file.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
which=${1:-all}
paddock_tag=${PADDOCK_IMAGE:-paddock:local}
redis_tag=${PADDOCK_REDIS_IMAGE:-paddock-redis:7}
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=redis-server,ca-certificates
cache=${PADDOCK_CACHE_DIR:-/var/cache/paddock}
node_bin=$repo/node_modules/node/bin/node
# What the Paddock image runs: every source folder the processes import or read.
app_dirs=(api core dashboards llm mongo-standin sandbox scripts workers)
app_files=(package.json package-lock.json tsconfig.json)

label_of() { docker image inspect -f '{{ index .Config.Labels "paddock.recipe" }}' "$1" 2>/dev/null || true; }
hash16() { sha256sum | cut -c1-16; }

build_base() {
  echo "debootstrap $suite into $1 (packages: $packages)"
  debootstrap --variant=minbase --include="$packages" "$suite" "$1" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 40 "$work/debootstrap.log" >&2
    exit 1
  }
  # The Paddock user: API nodes run as it; workers run as root for the Docker socket (compose.yaml).
  chroot "$1" groupadd --gid 10100 paddock
  chroot "$1" useradd --uid 10100 --gid 10100 --home-dir /app --no-create-home --shell /usr/sbin/nologin paddock
  # Redis' data directory, owned by the redis user the package made.
  mkdir -p "$1/data" && chroot "$1" chown redis:redis /data
  rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/usr/share/doc/* "$1"/usr/share/man/* \
         "$1"/usr/share/locale/* "$1"/var/log/*
}
base_key=$( { printf '%s\n' "$suite" "$mirror" "$packages"; declare -f build_base; } | hash16)
base_tar="$cache/runtime-base-$suite-$base_key.tar"

modules_key=$( { cat "$repo/package-lock.json"; echo omit-dev; } | hash16)
modules_tar="$cache/prod-modules-$modules_key.tar"

app_hash() {
  (cd "$repo" && find "${app_dirs[@]}" -type f ! -name '*.test.ts' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
   sha256sum "${app_files[@]}") | hash16
}
redis_recipe=$( { cat "$0"; echo "$base_key"; } | hash16)
paddock_recipe=$( { cat "$0"; echo "$base_key $modules_key"; sha256sum "$node_bin"; app_hash; } | hash16)

need_redis=false; need_paddock=false
[ "$(label_of "$redis_tag")" = "$redis_recipe" ] || need_redis=true
[ "$which" = all ] && [ "$(label_of "$paddock_tag")" != "$paddock_recipe" ] && need_paddock=true
if ! $need_redis && ! $need_paddock; then
  echo "images up to date: $redis_tag$([ "$which" = all ] && echo " $paddock_tag" || true)"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/runtime-build.lock"
flock 9
work=$(mktemp -d /var/tmp/paddock-runtime.XXXXXX)
trap 'rm -rf "$work"' EXIT

# 1. the base rootfs
if [ ! -f "$base_tar" ]; then
  build_base "$work/base"
  tar -C "$work/base" --numeric-owner -cf "$base_tar.partial" .
  mv -f "$base_tar.partial" "$base_tar"
  find "$cache" -maxdepth 1 -name 'runtime-base-*.tar' ! -name "$(basename "$base_tar")" -delete
  rm -rf "$work/base"
  echo "cached the base rootfs as $base_tar"
fi

if $need_redis && [ "$(label_of "$redis_tag")" != "$redis_recipe" ]; then
  # protected-mode off: the container's network is the boundary (compose publishes no Redis port).
  docker import \
    --change 'USER redis' \
    --change 'WORKDIR /data' \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8' \
    --change 'EXPOSE 6379' \
    --change 'CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data", "--maxmemory-policy", "noeviction", "--appendonly", "yes"]' \
    --change "LABEL paddock.recipe=$redis_recipe paddock.runtime=redis" \
    "$base_tar" "$redis_tag" >/dev/null
  echo "built $redis_tag (recipe $redis_recipe)"
fi

if $need_paddock && [ "$(label_of "$paddock_tag")" != "$paddock_recipe" ]; then
  # 2. production node_modules
  if [ ! -f "$modules_tar" ]; then
    mkdir -p "$work/modules"
    cp "$repo/package.json" "$repo/package-lock.json" "$work/modules/"
    cp -a "$repo/node_modules" "$work/modules/"
    (cd "$work/modules" && npm prune --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
    tar -C "$work/modules" --owner=0 --group=0 --numeric-owner -cf "$modules_tar.partial" node_modules
    mv -f "$modules_tar.partial" "$modules_tar"
    find "$cache" -maxdepth 1 -name 'prod-modules-*.tar' ! -name "$(basename "$modules_tar")" -delete
    rm -rf "$work/modules"
    echo "cached production node_modules as $modules_tar"
  fi
  # 3. base + node + app + modules
  root="$work/root"
  mkdir -p "$root"
  tar -C "$root" --numeric-owner -xf "$base_tar"
  install -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/app"
  (cd "$repo" && tar --exclude='*.test.ts' --owner=0 --group=0 --numeric-owner --mode='go-w' -cf - "${app_dirs[@]}" "${app_files[@]}") \
    | tar -C "$root/app" --numeric-owner -xf -
  tar -C "$root/app" --numeric-owner -xf "$modules_tar"
  # DATA_DIR of the stand-in service (a volume in compose.yaml).
  mkdir -p "$root/var/lib/paddock" && chown 10100:10100 "$root/var/lib/paddock"
  tar -C "$root" --numeric-owner -c . | docker import \
    --change 'USER 10100:10100' \
    --change 'WORKDIR /app' \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 NODE_ENV=production HOST=0.0.0.0 LOG_FORMAT=json' \
    --change 'EXPOSE 8080' \
    --change 'CMD ["node", "--import", "tsx", "scripts/start.ts"]' \
    --change "LABEL paddock.recipe=$paddock_recipe paddock.runtime=paddock" \
    - "$paddock_tag" >/dev/null
  echo "built $paddock_tag (recipe $paddock_recipe): $(docker image inspect -f '{{.Size}}' "$paddock_tag" | numfmt --to=iec)"
fi

# Drop images these builds replaced, if nothing uses them any more.
docker image prune -f --filter "label=paddock.runtime" >/dev/null 2>&1 || true
