#!/bin/bash
# Builds build/loopstall_VERSION_amd64.deb from what `make install` puts in a
# staging tree (DESTDIR), with dpkg-deb: the control file from
# tools/packaging/control, Depends from dpkg-shlibdeps, the binary stripped,
# documentation compressed as Debian policy asks.
# Usage: tools/packaging/build-deb.sh BUILD_DIR VERSION
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1
version=$2
work=$build/deb
root=$work/root
rm -rf "$work"
mkdir -p "$work/debian"
make --no-print-directory install DESTDIR="$PWD/$root" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system \
	BUILD="$build" >/dev/null

strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/sbin/loopstall"
gzip -9n "$root/usr/share/man/man8/loopstall.8"
doc=$root/usr/share/doc/loopstall
install -d -m 0755 "$doc"
install -m 0644 tools/packaging/copyright "$doc/copyright"
gzip -9n < tools/packaging/changelog > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# dpkg-shlibdeps and dpkg-gencontrol read debian/control and debian/changelog.
cp tools/packaging/control "$work/debian/control"
sed "1s/([^)]*)/($version)/" tools/packaging/changelog > "$work/debian/changelog"
install -d -m 0755 "$root/DEBIAN"
(
	cd "$work"
	dpkg-shlibdeps -Tdebian/substvars root/usr/sbin/loopstall 2>/dev/null
	dpkg-gencontrol -v"$version" -Tdebian/substvars -Proot
)
(cd "$root" && find etc -type f | sed 's|^|/|') > "$root/DEBIAN/conffiles"
(cd "$root" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zxz --build "$root" "$build/loopstall_${version}_amd64.deb" >/dev/null
echo "$build/loopstall_${version}_amd64.deb"
