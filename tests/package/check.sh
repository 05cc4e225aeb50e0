#!/bin/sh
# tests/package/check.sh VERSION "BUILD_PACKAGES" (make package-check, as
# root): builds the Debian package, lints it, installs it into this
# machine, checks what an administrator relies on, removes and purges it,
# and checks that nothing of it is left.
set -eu
version=$1
build_packages=$2
arch=$(dpkg --print-architecture)
deb=dist/logmash_${version}_$arch.deb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "package-check: FAIL: $*" >&2
	exit 1
}
step() {
	echo "== package-check: $*"
}

step "Build-Depends are the Makefile's BUILD_PACKAGES"
sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control | sed '$d' | sed 's/^Build-Depends://' |
	tr ',' '\n' | sed 's/(.*)//; s/[[:space:]]//g' | grep -v '^$' | grep -v '^debhelper-compat' |
	sort > "$tmp/control"
printf '%s\n' $build_packages | grep -v '^build-essential$' | sort > "$tmp/makefile"
diff -u "$tmp/makefile" "$tmp/control" || fail "debian/control's Build-Depends differ from BUILD_PACKAGES (-: Makefile, +: control)"

step "make deb"
sh packaging/deb-build.sh "$version" > "$tmp/build.log" 2>&1 || { tail -30 "$tmp/build.log"; fail "the package did not build"; }
[ -f "$deb" ] || fail "no $deb"

step "lintian: no error, no warning"
lintian --fail-on error,warning --info "$deb" || fail "lintian"

# What is on the file system before: after the purge it must be the same.
# dpkg's own records, logs and caches change by design; so do the
# backups adduser leaves of the user and group files.
snapshot() {
	find /etc /usr /lib /var/lib /opt /srv -xdev \
		\( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/systemd/deb-systemd-helper-masked \
		   -o -path /var/lib/man-db -o -path /var/lib/ucf \) -prune -o \
		! -name 'group-' ! -name 'gshadow-' ! -name 'passwd-' ! -name 'shadow-' -print 2>/dev/null | sort
}
if dpkg -s logmash >/dev/null 2>&1; then
	fail "logmash is installed already: dpkg --purge logmash first"
fi
snapshot > "$tmp/before"

step "install"
sh packaging/install-deb.sh "$deb" || fail "install-deb.sh $deb"
logmash --version | grep -q "^logmash $version " || fail "logmash --version: $(logmash --version)"
for f in /usr/bin/logmash /usr/share/man/man1/logmash.1.gz /lib/systemd/system/logmash.service \
	/etc/logmash/config.lua /usr/share/doc/logmash/README.md /usr/share/doc/logmash/copyright \
	/usr/share/logmash/scripts/drop_noise.lua; do
	[ -e "$f" ] || fail "$f is not installed"
done
dpkg-query -W -f='${Conffiles}\n' logmash | grep -q '^ /etc/logmash/config.lua ' ||
	fail "/etc/logmash/config.lua is not a conffile"
getent group logmash >/dev/null || fail "no group logmash"
grep -q '^ExecStart=/usr/bin/logmash ' /lib/systemd/system/logmash.service || fail "the unit's ExecStart"
# Installed disabled and not started: there is nothing to send to yet.
[ ! -e /etc/systemd/system/multi-user.target.wants/logmash.service ] || fail "the unit is enabled"
if [ -d /run/systemd/system ] && systemctl is-active --quiet logmash.service; then
	fail "the service was started"
fi

step "systemd-analyze verify"
systemd-analyze verify /lib/systemd/system/logmash.service > "$tmp/verify" 2>&1 || {
	cat "$tmp/verify"
	fail "systemd-analyze verify"
}
if [ -s "$tmp/verify" ]; then
	cat "$tmp/verify"
	fail "systemd-analyze verify said something"
fi

step "logmash check on the installed config: what a host not configured yet lacks"
# With the unit's own arguments, as the service would run.
args=$(sed -n 's|^ExecStart=/usr/bin/logmash ||p' /lib/systemd/system/logmash.service |
	sed 's|${STATE_DIRECTORY}|/var/lib/logmash|; s|${RUNTIME_DIRECTORY}|/run/logmash|')
# shellcheck disable=SC2086 # the unit's words, split as systemd splits them
env -u CODEMASH_TOKEN -u CODEMASH_PROJECT_ID logmash check $args > "$tmp/check" 2>&1 &&
	fail "check passed unconfigured"
cat "$tmp/check"
grep -q '^error   project id: none' "$tmp/check" || fail "check does not name the missing project id"
grep -q '^error   token file /etc/logmash/token: No such file' "$tmp/check" || fail "check does not name the missing token"
[ "$(grep -c '^error' "$tmp/check")" = 2 ] || fail "check reports other errors"
grep -q '^2 errors, 0 warnings' "$tmp/check" || fail "check's summary"

step "remove: the config stays"
dpkg -r logmash || fail "dpkg -r"
[ ! -e /usr/bin/logmash ] || fail "/usr/bin/logmash is left after remove"
[ -e /etc/logmash/config.lua ] || fail "remove took the config"

step "purge: nothing is left"
# What the service's runs leave: systemd keeps a DynamicUser= service's
# StateDirectory= in /var/lib/private, /var/lib/logmash a link to it.
made_private=
[ -d /var/lib/private ] || made_private=1
mkdir -p -m 700 /var/lib/private/logmash
echo "stand-in for the service's checkpoints" > /var/lib/private/logmash/checkpoints
ln -s private/logmash /var/lib/logmash
echo "stand-in-token" > /etc/logmash/token
dpkg --purge logmash || fail "dpkg --purge"
! getent group logmash >/dev/null || fail "the group logmash is left"
[ ! -e /var/lib/logmash ] && [ ! -L /var/lib/logmash ] || fail "/var/lib/logmash is left"
[ ! -e /var/lib/private/logmash ] || fail "/var/lib/private/logmash is left"
[ ! -e /etc/logmash ] || fail "/etc/logmash is left: $(ls -A /etc/logmash)"
# /var/lib/private is systemd's, not the package's: only this test made it.
[ -z "$made_private" ] || rmdir /var/lib/private
snapshot > "$tmp/after"
diff -u "$tmp/before" "$tmp/after" || fail "the purge left these (+) or took these (-)"
echo "package-check: ok ($deb)"
