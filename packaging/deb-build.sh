#!/bin/sh
# deb-build.sh VERSION (make deb): dist/logmash_VERSION_ARCH.deb, built by
# debhelper (dpkg-buildpackage -b -us -uc) in a copy of the tree under
# build/deb, so that the build leaves nothing in the tree. debian/changelog
# is written there from VERSION, --version's (src/util.h): the version is
# kept in one place.
set -eu
version=$1
case $version in
'') echo "deb-build.sh: no version (src/util.h's LOGMASH_VERSION)" >&2; exit 2 ;;
esac
work=build/deb
src=$work/logmash-$version
rm -rf "$work"
mkdir -p "$src" dist
# What the build and the install read; no objects of an earlier build.
tar --exclude='*.o' -cf - Makefile README.md HACKING.md src ui scripts docs packaging debian |
	tar -xf - -C "$src"
maintainer=$(sed -n 's/^Maintainer: //p' debian/control)
when=$(git log -1 --format=%cD 2>/dev/null || date -R)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "a tree without git")
cat > "$src/debian/changelog" <<CHANGES
logmash ($version) unstable; urgency=medium

  * Built from the logmash repository at $commit.

 -- $maintainer  $when
CHANGES
(cd "$src" && dpkg-buildpackage -b -us -uc)
arch=$(dpkg --print-architecture)
mv "$work/logmash_${version}_$arch.deb" dist/
echo "built dist/logmash_${version}_$arch.deb"
