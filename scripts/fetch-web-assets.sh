#!/usr/bin/env bash
# Fetch the web pages' browser assets (ECharts and the China province map) from the npm
# registry, check each tarball's sha256 against src/mic2025/web/static/vendor/ASSETS.lock,
# and extract the listed files into that folder. Run at install time; nothing is fetched
# while the server runs, and the pages never load anything from a CDN.
#
#   scripts/fetch-web-assets.sh            fetch what is missing or out of date
#   scripts/fetch-web-assets.sh --force    fetch everything again
#
# Needs npm (Debian: apt-get install npm). Exits non-zero, naming the package, on a
# checksum mismatch, and leaves no partly extracted file behind.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
vendor="$here/src/mic2025/web/static/vendor"
lock="$vendor/ASSETS.lock"
force=0
[ "${1:-}" = "--force" ] && force=1

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-web-assets: npm is not installed (apt-get install npm)" >&2
  exit 1
fi

stamp="$vendor/.fetched"
if [ "$force" = 0 ] && [ -f "$stamp" ] && cmp -s "$lock" "$stamp"; then
  missing=0
  while IFS=$'\t' read -r _ _ _ _ _ target; do
    [ -f "$vendor/$target" ] || missing=1
  done < <(grep -v '^#' "$lock" | grep -v '^[[:space:]]*$')
  if [ "$missing" = 0 ]; then
    echo "fetch-web-assets: up to date"
    exit 0
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A fetched=()
while IFS=$'\t' read -r name version member sha licence target; do
  tarball="$work/$name-$version.tgz"
  if [ -z "${fetched[$name@$version]:-}" ]; then
    (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
    packed="$work/${name}-${version}.tgz"
    [ -f "$packed" ] || { echo "fetch-web-assets: npm pack $name@$version made no tarball" >&2; exit 1; }
    got=$(sha256sum "$packed" | cut -d' ' -f1)
    if [ "$got" != "$sha" ]; then
      echo "fetch-web-assets: $name@$version: sha256 $got does not match ASSETS.lock ($sha)" >&2
      exit 1
    fi
    mkdir -p "$work/x-$name"
    tar xzf "$packed" -C "$work/x-$name"
    fetched[$name@$version]=1
    echo "fetch-web-assets: $name@$version ($licence) verified"
  fi
  src="$work/x-$name/$member"
  [ -f "$src" ] || { echo "fetch-web-assets: $member is not in $name@$version" >&2; exit 1; }
  cp "$src" "$vendor/$target.part"
  mv "$vendor/$target.part" "$vendor/$target"
done < <(grep -v '^#' "$lock" | grep -v '^[[:space:]]*$')

cp "$lock" "$stamp"
echo "fetch-web-assets: assets in $vendor"
