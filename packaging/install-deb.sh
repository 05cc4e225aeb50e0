#!/bin/sh
# install-deb.sh DEB: installs the logmash package and what it depends on,
# the one way the image (packaging/Containerfile) and make package-check
# both install it.
set -eu
case $1 in
/*|./*) deb=$1 ;;
*) deb=./$1 ;; # apt-get takes a file for a package name only with a slash
esac
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$deb"
