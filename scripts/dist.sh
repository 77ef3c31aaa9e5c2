#!/usr/bin/env bash
# `make dist`: packs a release binary as the GitHub release assets the composite action (action.yml) downloads:
#
#   dist/campaign-<version>-linux-<arch>.tar.gz          campaign-<version>-linux-<arch>/{campaign,README.md,CI.md}
#   dist/campaign-<version>-linux-<arch>.tar.gz.sha256   "<sha256>  campaign-<version>-linux-<arch>.tar.gz"
#
# <arch> is x86_64 or aarch64 (this machine's); <version> is what `campaign --version` prints, and must be the
# release's tag without its `v` (tag v0.1.0 -> 0.1.0). Publish both files on the release tagged v<version>.
#
# usage: scripts/dist.sh [BINARY [OUT_DIR]]     (default .build/release/campaign, dist; STRIP=0 keeps symbols)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/release/campaign}
out=${2:-dist}
[ -x "$binary" ] || { echo "no binary at $binary (make dist builds it)" >&2; exit 1; }
version=$("$binary" --version)
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || { echo "'$version' is not a release version" >&2; exit 1; }
if [ -n "${VERSION:-}" ] && [ "${VERSION#v}" != "$version" ]; then
  echo "VERSION=$VERSION, but the binary says it is $version (CampaignVersion.current)" >&2
  exit 1
fi
[ "$(uname -s)" = Linux ] || { echo "release assets are Linux builds" >&2; exit 1; }
case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
name="campaign-$version-linux-$arch"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
cp "$binary" "$stage/$name/campaign"
chmod 755 "$stage/$name/campaign"
# Without its symbol tables the release binary is half the size (152 -> 79 MB); STRIP=0 keeps them.
if [ "${STRIP:-1}" != 0 ] && [ "$(head -c 4 "$binary" | od -An -c | tr -d ' ')" = '177ELF' ]; then
  strip "$stage/$name/campaign"
fi
cp README.md "$stage/$name/README.md"
cp docs/CI.md "$stage/$name/CI.md"
# Reproducible: sorted names, no owners, one fixed time (the commit's, when in git), gzip without a time stamp.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf - "$name" | gzip -9 -n >"$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
echo "$out/$name.tar.gz.sha256"
