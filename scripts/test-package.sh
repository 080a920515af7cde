#!/usr/bin/env bash
# Tests the Debian package on this machine: builds it, installs it with dpkg, finds the
# element with gst-inspect-1.0 and restores the sample with swiftvr-restore from /usr/bin,
# and a folder, all with no environment variables (no GST_PLUGIN_PATH), then removes it and checks that
# nothing it installed is left. Needs root (or sudo); scripts/test.sh runs it after the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
name=gstreamer1.0-swiftvr
if dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed"; then
  echo "test-package: $name is already installed here; remove it first (dpkg -r $name)" >&2
  exit 1
fi
bash scripts/package-deb.sh .build-deb >/dev/null
deb=$(ls -t .build-deb/${name}_*.deb | head -n 1)
work=$(mktemp -d)
fail() { echo "test-package: FAILED: $*" >&2; $sudo dpkg -r "$name" >/dev/null 2>&1 || true; rm -rf "$work"; exit 1; }

# lintian, where it is installed: no error-level tag (warnings are printed, not fatal).
if command -v lintian >/dev/null; then
  tags=$(lintian --fail-on error "$deb" 2>&1) || fail "lintian reports errors: $tags"
  [ -z "$tags" ] || echo "test-package: lintian: $tags" >&2
fi
perms=$(dpkg-deb -c "$deb" | awk '$1 ~ /^d/ && $1 != "drwxr-xr-x" {print $1, $NF}')
[ -z "$perms" ] || fail "directories not 0755 in the package: $perms"
files=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' | grep -v '/$')
$sudo dpkg -i "$deb" >/dev/null || fail "dpkg -i $deb"
version=$(dpkg-query -W -f='${Version}' "$name")
# A clean environment: what a user's shell has, no GST_PLUGIN_PATH, a fresh registry.
clean=(env -i PATH=/usr/bin:/bin HOME="$work" LANG=C.UTF-8)
inspect=$("${clean[@]}" gst-inspect-1.0 swiftvr 2>&1) || fail "gst-inspect-1.0 swiftvr: $inspect"
grep -qE "^\s+Version\s+$version$" <<<"$inspect" || fail "gst-inspect-1.0 does not report version $version"
grep -qE "Binary package\s+$name" <<<"$inspect" || fail "gst-inspect-1.0 does not name the package"
"${clean[@]}" swiftvr-restore --version | grep -q "swiftvr-restore $version" || fail "swiftvr-restore --version"
"${clean[@]}" swiftvr-restore --quiet samples/faces-640x360.mp4 "$work/restored.mp4" || fail "swiftvr-restore on the sample"
frames=$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames -of csv=p=0 "$work/restored.mp4")
[ "$frames" = 100 ] || fail "the restored sample has $frames frames, not 100"
[ "$(ffprobe -v error -select_streams a -show_entries stream=codec_name -of csv=p=0 "$work/restored.mp4")" = aac ] || fail "audio not kept"
mkdir -p "$work/in"
cp samples/faces-640x360.mp4 "$work/in/a.mp4"
cp samples/faces-640x360.mp4 "$work/in/b.mp4"
"${clean[@]}" swiftvr-restore --quiet -j 2 "$work/in" "$work/out" >/dev/null || fail "swiftvr-restore on a folder"
[ -s "$work/out/a.mp4" ] && [ -s "$work/out/b.mp4" ] || fail "the folder's two files were not both restored"
man=$(zcat /usr/share/man/man1/swiftvr-restore.1.gz)   # read whole: grep -q on a pipe can SIGPIPE zcat under pipefail
grep -q -- 'strength' <<<"$man" || fail "the man page lacks the element's options"
grep -q -- 'range: 1 to 16' <<<"$man" || fail "the man page lacks the options' ranges"
grep -q -- '143' <<<"$man" || fail "the man page lacks the exit statuses"
pkg-config --exists gstswiftvr || fail "pkg-config does not find gstswiftvr"

$sudo dpkg -r "$name" >/dev/null || fail "dpkg -r"
left=$(for f in $files; do [ -e "$f" ] && echo "$f"; done; true)
[ -z "$left" ] || fail "left behind after dpkg -r: $left"
pluginsdir=$(pkg-config --variable=pluginsdir gstreamer-1.0)
[ ! -e "$pluginsdir/swiftvr" ] || fail "$pluginsdir/swiftvr is left behind"
rm -rf "$work"
echo "test-package: ok ($deb: installed, gst-inspect-1.0 swiftvr reports $version, swiftvr-restore restored 100 frames with audio and a folder of two files, removed with nothing left)"
