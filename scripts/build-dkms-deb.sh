#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the Debian package vfio-noiommu-dkms into build/dkms/ ("make dkms"):
# the DKMS sources of scripts/dkms-source.sh (base + patches/ of now) in
# /usr/src/vfio-noiommu-VERSION, dkms/debian's maintainer scripts and
# documentation, packed with dpkg-deb.  Earlier packages in build/dkms are
# removed.  Prints the package's path on its last line.
set -eu
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"

dest=$top/build/dkms
root=$dest/pkg
name=vfio-noiommu-dkms

step "dkms: assembling the sources from base + patches/"
rm -rf "$root"
mkdir -p "$root/usr/src"
stage=$root/usr/src/vfio-noiommu
version=$(bash "$top/scripts/dkms-source.sh" "$stage" | tail -n1)
mv "$stage" "$root/usr/src/vfio-noiommu-$version"
linux=${version%%+*}

doc=$root/usr/share/doc/$name
mkdir -p "$doc" "$root/DEBIAN"
cp "$top/dkms/debian/README.Debian" "$doc/"
cat > "$doc/copyright" <<EOM
vfio-noiommu-dkms: Linux $linux's drivers/vfio with the VFIO no-IOMMU series.

License: GPL-2.0-only (the Linux kernel's; see /usr/share/common-licenses/GPL-2)
EOM

maint=$(git -C "$top" log -1 --format='%an <%ae>' 2>/dev/null || true)
[ -n "$maint" ] || maint="root <root@localhost>"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
subst() {
	sed -e "s|@PACKAGE_VERSION@|$version|g" -e "s|@LINUX_VERSION@|$linux|g" \
		-e "s|@MAINTAINER@|$maint|g" -e "s|@INSTALLED_SIZE@|$size|g" "$1"
}
subst "$top/dkms/debian/control.in" > "$root/DEBIAN/control"
for s in postinst prerm; do
	subst "$top/dkms/debian/$s.in" > "$root/DEBIAN/$s"
	chmod 755 "$root/DEBIAN/$s"
done

rm -f "$dest/${name}_"*.deb
deb=$dest/${name}_${version}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
ok "dkms: ${deb#"$top"/} ($(du -h "$deb" | cut -f1))"
echo "$deb"
