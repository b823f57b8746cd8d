#!/usr/bin/env bash
# deb.sh — builds the Debian package (`make deb`; CTest pkg.build): scripts/deb.sh OUTDIR
# writes OUTDIR/tgr_<version>_amd64.deb and prints its path on the last line.
# dpkg-buildpackage runs on a copy of the tree in OUTDIR/deb-src, so the tree gets no obj-*/
# directory and the .deb does not land in the tree's parent. The copy has the bridge's pinned
# node_modules as real files (they go into the package) and the web app's as a link (only the
# build reads them). Needs debhelper (scripts/deps.sh test) and `make deps`'s node_modules.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:?usage: scripts/deb.sh OUTDIR}" && cd "$1" && pwd)"
for d in bridge web; do
  [ -d "$src/$d/node_modules" ] || { echo "deb.sh: $d/node_modules is missing: run make deps" >&2; exit 1; }
done
version=$(sed -n '1s/^tgr (\([^)]*\)).*/\1/p' "$src/debian/changelog")
tree="$out/deb-src"
rm -rf "$tree"
mkdir -p "$tree/tgr"
# The tracked files and new ones not yet ignored: what a commit of this tree would hold.
# (node_modules may be links to another checkout's, which git does not take for ignored.)
(cd "$src" && git ls-files -z --cached --others --exclude-standard | grep -zv 'node_modules$' |
  xargs -0 cp -P --parents -t "$tree/tgr")
rm -rf "$tree/tgr/bridge/node_modules" "$tree/tgr/web/node_modules"
cp -rL "$src/bridge/node_modules" "$tree/tgr/bridge/node_modules"
ln -s "$(readlink -f "$src/web/node_modules")" "$tree/tgr/web/node_modules"
(cd "$tree/tgr" && dpkg-buildpackage -b -us -uc --no-sign >"$tree/build.log" 2>&1) || {
  tail -40 "$tree/build.log" >&2
  echo "deb.sh: dpkg-buildpackage failed; the log is $tree/build.log" >&2
  exit 1
}
deb="tgr_${version}_amd64.deb"
mv "$tree/$deb" "$out/$deb"
rm -rf "$tree/tgr"
echo "$out/$deb"
