#!/usr/bin/env bash
# Installs a `campaign` release binary for the composite action (action.yml, step "Install campaign").
#
# Inputs (environment variables, set by action.yml from the action's inputs through `env:`; no workflow
# expression is ever pasted into this script):
#   CAMPAIGN_VERSION     a version such as 1.2.0 (the release tagged v1.2.0), or `latest`
#   CAMPAIGN_SHA256      optional: the SHA-256 the tarball must have (pins the binary, not only the download)
#   CAMPAIGN_REPOSITORY  optional: owner/name of the repository whose releases hold the binary
#                        (default: the repository the action was taken from)
#   GH_TOKEN             a token for `gh release download` (the action passes github.token)
#
# The release assets it expects (made by `make dist`, see docs/CI.md):
#   campaign-<version>-linux-<arch>.tar.gz         with campaign-<version>-linux-<arch>/campaign inside
#   campaign-<version>-linux-<arch>.tar.gz.sha256  "<sha256>  campaign-<version>-linux-<arch>.tar.gz"
# where <arch> is x86_64 or aarch64.
#
# Writes the folder holding `campaign` to $GITHUB_PATH and to the step output `bin`.
set -euo pipefail

fail() { echo "::error title=campaign install::$*" >&2; exit 1; }

version=${CAMPAIGN_VERSION:-latest}
repository=${CAMPAIGN_REPOSITORY:-}
if [ -z "$repository" ]; then
  # A composite action runs from .../_actions/OWNER/NAME/REF: the releases are those of OWNER/NAME.
  case "${GITHUB_ACTION_PATH:-}" in
    */_actions/*/*/*)
      rest=${GITHUB_ACTION_PATH#*/_actions/}
      owner=${rest%%/*}; rest=${rest#*/}
      name=${rest%%/*}
      repository="$owner/$name"
      ;;
    *) repository=${GITHUB_REPOSITORY:-} ;;   # `uses: ./` in this repository itself
  esac
fi
[[ "$repository" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || fail "cannot tell which repository's releases to use; set the input 'repository' (owner/name)"

[ "$(uname -s)" = Linux ] || fail "release binaries are built for Linux only (this runner: $(uname -s))"
case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) fail "no release binary for the architecture $(uname -m)" ;;
esac

if [ "$version" = latest ]; then
  tag=$(gh release view --repo "$repository" --json tagName --jq .tagName) || fail "cannot find the latest release of $repository"
else
  tag="v${version#v}"
fi
[[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || fail "'$version' is not a version (expected latest, or one like 1.2.0)"
plain=${tag#v}
asset="campaign-$plain-linux-$arch.tar.gz"

tools=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/campaign/$plain/$arch
bin="$tools/campaign-$plain-linux-$arch"
if [ ! -x "$bin/campaign" ]; then
  download=$(mktemp -d "${RUNNER_TEMP:-/tmp}/campaign-download.XXXXXX")
  echo "downloading $asset from the release $tag of $repository"
  gh release download "$tag" --repo "$repository" --dir "$download" --pattern "$asset" --pattern "$asset.sha256" \
    || fail "cannot download $asset and $asset.sha256 from the release $tag of $repository"
  [ -f "$download/$asset" ] && [ -f "$download/$asset.sha256" ] || fail "the release $tag has no $asset and $asset.sha256"
  actual=$(sha256sum "$download/$asset" | cut -d ' ' -f 1)
  published=$(cut -d ' ' -f 1 "$download/$asset.sha256")
  [ "$actual" = "$published" ] || fail "$asset does not match its published $asset.sha256"
  if [ -n "${CAMPAIGN_SHA256:-}" ] && [ "$actual" != "$(printf '%s' "$CAMPAIGN_SHA256" | tr 'A-F' 'a-f')" ]; then
    fail "$asset has the SHA-256 $actual, not the one pinned in the input 'sha256'"
  fi
  mkdir -p "$tools"
  tar -xzf "$download/$asset" -C "$tools" --no-same-owner
  rm -rf "$download"
  [ -x "$bin/campaign" ] || fail "$asset holds no campaign-$plain-linux-$arch/campaign"
fi

# The binary links the Swift runtime statically; it needs the system's libyaml.
if ldd "$bin/campaign" 2>/dev/null | grep -q 'libyaml.*not found'; then
  echo "installing libyaml-0-2"
  if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
  if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq libyaml-0-2; }; then
    fail "cannot install libyaml-0-2 (the campaign binary needs it)"
  fi
fi

"$bin/campaign" --version >/dev/null || fail "the installed campaign does not run"
echo "campaign $("$bin/campaign" --version) in $bin"
[ -n "${GITHUB_PATH:-}" ] && echo "$bin" >>"$GITHUB_PATH"
[ -n "${GITHUB_OUTPUT:-}" ] && echo "bin=$bin" >>"$GITHUB_OUTPUT"
exit 0
