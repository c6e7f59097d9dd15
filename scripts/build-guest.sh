#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# build-guest.sh - build the demo guest: Debian's i386 kernel plus a busybox initramfs with virtio-net.
#
# Usage: scripts/build-guest.sh [OUTDIR]
#
# OUTDIR defaults to $ULVM_GUEST_DIR, else build/guest under the repository
# root.  Inputs are Debian packages only (scripts/install-deps.sh installs
# them): linux-image-686:i386 for /boot/vmlinuz-<ver> and /lib/modules/<ver>,
# busybox-static:i386 for the guest's userland; plus examples/guest/ (the
# /init and udhcpc scripts).  Outputs:
#   OUTDIR/vmlinuz             the kernel, copied
#   OUTDIR/initramfs.cpio.gz   busybox + applet links, the virtio network
#                              modules (decompressed, in load order), ulvm's
#                              own network driver (guest-drivers/ulvmnet,
#                              built here against linux-headers-<ver>), /init
#   OUTDIR/kernel.version      <ver>
# A stamp of every input makes a second run a no-op.
#
# Environment: ULVM_KVER forces the kernel version; ULVM_GUEST_MODULES names
# the modules to include (default "virtio_net virtio_pci", dependencies are
# added from modules.dep).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
self=$top/scripts/${0##*/}
src=$top/examples/guest
drv=$top/guest-drivers/ulvmnet
out=${1:-${ULVM_GUEST_DIR:-$top/build/guest}}
want=${ULVM_GUEST_MODULES:-virtio_net virtio_pci}

die() {
	echo "build-guest.sh: $*" >&2
	exit 1
}

# guest_kver - version of the kernel linux-image-686:i386 depends on, as
# installed; apt's view or the newest /boot/vmlinuz-*-686 as fallbacks.
guest_kver() {
	if [ -n "${ULVM_KVER:-}" ]; then
		echo "$ULVM_KVER"
		return
	fi
	v=$( (dpkg-query -W -f='${Depends}\n' linux-image-686:i386 2>/dev/null ||
		apt-cache depends linux-image-686:i386 2>/dev/null) |
		grep -o 'linux-image-[0-9][^ ,:|()]*-686' | head -n 1)
	v=${v#linux-image-}
	if [ -z "$v" ] || [ ! -e "/boot/vmlinuz-$v" ]; then
		v=$(ls /boot/vmlinuz-*-686 2>/dev/null | sed 's|.*/vmlinuz-||' |
			sort -V | tail -n 1)
	fi
	echo "$v"
}

# is_i386 FILE - true when FILE is a 32-bit x86 ELF executable.
is_i386() {
	[ -f "$1" ] || return 1
	[ "$(od -An -tx1 -N4 "$1" | tr -d ' \n')" = 7f454c46 ] || return 1
	[ "$(od -An -tx1 -j4 -N1 "$1" | tr -d ' \n')" = 01 ] || return 1
	[ "$(od -An -tx1 -j18 -N2 "$1" | tr -d ' \n')" = 0300 ]
}

# guest_busybox - path of an i386 busybox: the one busybox-static:i386
# installed, else the one inside that package's .deb (apt cache or
# apt-get download), extracted under OUTDIR.
guest_busybox() {
	for f in $(dpkg -L busybox-static:i386 2>/dev/null |
		grep -E '^(/usr)?/s?bin/busybox$') /bin/busybox; do
		if is_i386 "$f"; then
			echo "$f"
			return
		fi
	done
	f=$out/.busybox-i386/bin/busybox
	if ! is_i386 "$f"; then
		deb=$(ls /var/cache/apt/archives/busybox-static_*_i386.deb 2>/dev/null |
			tail -n 1)
		if [ -z "$deb" ]; then
			mkdir -p "$out/.deb"
			(cd "$out/.deb" && apt-get download -q busybox-static:i386 >&2) ||
				return 1
			deb=$(ls "$out"/.deb/busybox-static_*_i386.deb | tail -n 1)
		fi
		rm -rf "$out/.busybox-i386"
		dpkg-deb -x "$deb" "$out/.busybox-i386" || return 1
		[ -e "$f" ] || f=$out/.busybox-i386/usr/bin/busybox
	fi
	is_i386 "$f" || return 1
	echo "$f"
}

# module_order - the .ko files (relative to /lib/modules/<ver>) that $want
# needs, each after its dependencies, from modules.dep; built-in ones skipped.
module_order() {
	awk -v want="$want" -v builtin="$moddir/modules.builtin" '
	function name(p,  b) {
		b = p
		sub(/.*\//, "", b)
		sub(/\.ko(\.(xz|gz|zst))?$/, "", b)
		gsub(/-/, "_", b)
		return b
	}
	function visit(n,  k, d, i) {
		if (n in done)
			return
		done[n] = 1
		if (!(n in path)) {
			if (!(n in isbuiltin))
				missing = missing " " n
			return
		}
		k = split(deps[n], d, " ")
		for (i = k; i >= 1; i--)
			visit(d[i])
		print path[n]
	}
	BEGIN {
		while ((getline line < builtin) > 0)
			isbuiltin[name(line)] = 1
	}
	{
		m = $1
		sub(/:$/, "", m)
		path[name(m)] = m
		deps[name(m)] = ""
		for (i = 2; i <= NF; i++)
			deps[name(m)] = deps[name(m)] " " name($i)
	}
	END {
		k = split(want, w, " ")
		for (i = 1; i <= k; i++) {
			x = w[i]
			gsub(/-/, "_", x)
			visit(x)
		}
		if (missing != "") {
			print "missing modules:" missing > "/dev/stderr"
			exit 1
		}
	}' "$moddir/modules.dep"
}

# cpio_entry NAME MODE MAJOR MINOR - one data-less newc record (directory,
# device node or trailer), so /dev/console needs no mknod (nor root).
cpio_entry() {
	ino=$((ino + 1))
	nsz=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$ino" "$2" 0 0 1 0 0 0 0 "$3" "$4" "$nsz" 0
	printf '%s\000' "$1"
	head -c $(((4 - (110 + nsz) % 4) % 4)) /dev/zero
}

for t in cpio gzip awk od sort; do
	command -v "$t" >/dev/null 2>&1 ||
		die "$t not found: run scripts/install-deps.sh"
done

kver=$(guest_kver)
[ -n "$kver" ] ||
	die "no linux-image-*-686 kernel installed: run scripts/install-deps.sh (linux-image-686:i386)"
kernel=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[ -r "$kernel" ] || die "$kernel missing or unreadable (linux-image-686:i386)"
[ -r "$moddir/modules.dep" ] || die "$moddir/modules.dep missing (linux-image-686:i386)"
for f in init udhcpc.script profile; do
	[ -r "$src/$f" ] || die "$src/$f missing"
done
hdr=/usr/src/linux-headers-$kver
[ -r "$hdr/Makefile" ] ||
	die "$hdr missing: install linux-headers-686:i386 (scripts/install-deps.sh)"
mkdir -p "$out"
bb=$(guest_busybox) ||
	die "no i386 busybox: install busybox-static:i386 (scripts/install-deps.sh)"
mods=$(module_order) || die "cannot resolve modules '$want' in $moddir/modules.dep"

# Everything the image is made of; equal stamp, nothing to do.
stamp=$(
	echo "kver $kver"
	echo "modules $want"
	for f in $kernel $bb $(for m in $mods; do echo "$moddir/$m"; done); do
		stat -L -c '%n %s %Y' "$f"
	done
	(cd "$src" && sha256sum init udhcpc.script profile)
	(cd "$drv" && sha256sum Kbuild ulvmnet.c ulvmnet_abi.h)
	stat -L -c '%n %s %Y' "$hdr/Makefile" "$hdr/Module.symvers"
	sha256sum <"$self"
)
if [ -f "$out/stamp" ] && [ -f "$out/vmlinuz" ] &&
	[ -f "$out/initramfs.cpio.gz" ] &&
	[ "$(cat "$out/stamp")" = "$stamp" ]; then
	echo "build-guest.sh: $out is up to date (kernel $kver)"
	exit 0
fi

stage=$out/.stage.$$
trap 'rm -rf "$stage" "$out/initramfs.cpio.gz.$$" "$out/vmlinuz.$$"' EXIT
trap 'exit 1' INT TERM HUP
rm -rf "$stage"
mkdir -p "$stage"
root=$stage/root
for d in bin sbin usr/bin usr/sbin etc proc sys dev tmp run root \
	"lib/modules/$kver"; do
	mkdir -p "$root/$d"
done

# busybox and its applet links (as the guest will see them).
cp "$bb" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
if applets=$("$bb" --list-full 2>/dev/null) && [ -n "$applets" ]; then
	for a in $applets; do
		[ -e "$root/$a" ] || [ -L "$root/$a" ] ||
			ln -s /bin/busybox "$root/$a"
	done
else
	# This host cannot run i386 binaries: /init installs the links itself.
	echo "build-guest.sh: cannot run $bb here; applet links made at boot" >&2
fi

# Modules, decompressed (busybox insmod reads plain ELF), in load order.
: >"$root/lib/modules/load.order"
for m in $mods; do
	plain=${m%.xz}
	plain=${plain%.zst}
	plain=${plain%.gz}
	dst=$root/lib/modules/$kver/$plain
	mkdir -p "${dst%/*}"
	case "$m" in
	*.xz) xz -dc "$moddir/$m" >"$dst" ;;
	*.zst) zstd -qdc "$moddir/$m" >"$dst" ;;
	*.gz) gzip -dc "$moddir/$m" >"$dst" ;;
	*) cp "$moddir/$m" "$dst" ;;
	esac
	echo "$kver/$plain" >>"$root/lib/modules/load.order"
done

# ulvmnet, the driver of ulvm's network device, built against this kernel.
# Its code runs as it is, not rewritten: pushf/popf in it would read and
# set the host's flags, not the virtual CPU's, so none may be there.
mkdir -p "$stage/ulvmnet"
cp "$drv/Kbuild" "$drv/ulvmnet.c" "$drv/ulvmnet_abi.h" "$stage/ulvmnet/"
make -s -C "$hdr" M="$stage/ulvmnet" ARCH=x86 modules >"$stage/ulvmnet.log" 2>&1 ||
	die "building guest-drivers/ulvmnet against $hdr failed: $(tail -n 5 "$stage/ulvmnet.log")"
if objdump -d "$stage/ulvmnet/ulvmnet.ko" | grep -qwE 'pushf[lw]?|popf[lw]?'; then
	die "guest-drivers/ulvmnet: the module has pushf/popf, which ulvm cannot run unrewritten"
fi
install -m 644 "$stage/ulvmnet/ulvmnet.ko" "$root/lib/modules/ulvmnet.ko"

install -m 755 "$src/init" "$root/init"
install -m 755 "$src/udhcpc.script" "$root/etc/udhcpc.script"
install -m 644 "$src/profile" "$root/etc/profile"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tulvm-guest\n' >"$root/etc/hosts"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

# The tree, owned by root whoever builds it, then /dev/console as a second
# archive (the kernel unpacks concatenated archives in order).
ino=$((0x7fff0000))
{
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet)
	cpio_entry dev/console $((020600)) 5 1
	cpio_entry 'TRAILER!!!' 0 0 0
} | gzip -9n >"$out/initramfs.cpio.gz.$$"
cp "$kernel" "$out/vmlinuz.$$"
mv -f "$out/vmlinuz.$$" "$out/vmlinuz"
mv -f "$out/initramfs.cpio.gz.$$" "$out/initramfs.cpio.gz"
echo "$kver" >"$out/kernel.version"
echo "$stamp" >"$out/stamp"
echo "build-guest.sh: built $out/vmlinuz and $out/initramfs.cpio.gz" \
	"(kernel $kver, $(echo "$mods" | wc -w) modules," \
	"$(($(wc -c <"$out/initramfs.cpio.gz") / 1024)) KiB)"
