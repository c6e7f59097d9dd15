# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# qemu-lib.sh - host side of the demo guest (sourced): listeners, the network daemon, the VM (ulvm or QEMU), clean-up.
#
# Used by scripts/demo.sh and tests/integration/{qemu-guest,vmm-net}/run.sh.
# Source it, call qg_init once, then the qg_start_* helpers; every process
# they start is recorded and killed (by pid) on any exit, and the scratch
# directory removed (kept when ULVM_KEEP=1).  Run as root, slirpish and ulvm
# run as an ordinary user (ULVM_AS, default nobody), as they are meant to.
#
# Environment:
#   ULVM_VM       qemu (default here): qemu-system-i386 under TCG with a
#                 virtio-net card; ulvm: the ulvm monitor, the kernel
#                 rewritten by ulvm-rewrite, its ulvmnet card (needs slirpish)
#   ULVM_NETDEV   slirpish (default): the guest's link is a Unix socket
#                 served by slirpish; user: QEMU's built-in libslirp (qemu only)
#   SLIRPISH      slirpish binary (default $top_builddir/slirpish/slirpish)
#   SLIRPISH_ARGS extra arguments for slirpish
#   ULVM_QEMU     QEMU binary (default qemu-system-i386)
#   ULVM_AS       the user slirpish and ulvm run as when we are root

qg_pids=
qg_tmp=
qg_daemon_pid=

# qg_log MSG... - progress line on stderr, prefixed with the caller's name.
qg_log() {
	echo "${qg_name:-qemu-lib}: $*" >&2
}

# qg_cleanup - kill what we started (newest first), remove the scratch dir.
qg_cleanup() {
	qg_rev=
	for p in $qg_pids; do
		qg_rev="$p $qg_rev"
	done
	for p in $qg_rev; do
		kill "$p" 2>/dev/null
	done
	for p in $qg_rev; do
		n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt 20 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		! kill -0 "$p" 2>/dev/null || kill -9 "$p" 2>/dev/null
	done
	qg_pids=
	if [ -n "$qg_tmp" ] && [ "${ULVM_KEEP:-0}" != 1 ]; then
		rm -rf "$qg_tmp"
	elif [ -n "$qg_tmp" ]; then
		qg_log "kept $qg_tmp"
	fi
}

# qg_init NAME - scratch directory in $qg_tmp and the clean-up traps.
qg_init() {
	qg_name=$1
	qg_tmp=$(mktemp -d "${TMPDIR:-/tmp}/ulvm-$1.XXXXXX") || return 1
	qg_as=
	if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1 &&
		runuser -u "${ULVM_AS:-nobody}" -- true 2>/dev/null; then
		qg_as="runuser -u ${ULVM_AS:-nobody} --"
		chown "${ULVM_AS:-nobody}" "$qg_tmp" && chmod 755 "$qg_tmp" || return 1
	fi
	trap qg_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# qg_runnable BIN - BIN, or a copy of it in the scratch directory that the
# user we run programs as ($qg_as) can surely execute (the build tree may
# sit where that user cannot go).
qg_runnable() {
	if [ -z "$qg_as" ]; then
		echo "$1"
		return 0
	fi
	cp "$1" "$qg_tmp/${1##*/}" && chmod 755 "$qg_tmp/${1##*/}" || return 1
	echo "$qg_tmp/${1##*/}"
}

# qg_track PID - have qg_cleanup kill PID.
qg_track() {
	qg_pids="$qg_pids $1"
}

# qg_free_port - print a TCP port nothing listens on (loopback, random).
qg_free_port() {
	n=0
	while [ $n -lt 50 ]; do
		p=$(($(od -An -tu2 -N2 /dev/urandom | tr -d ' ') % 30000 + 20000))
		if ! command -v ss >/dev/null 2>&1 ||
			[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
		n=$((n + 1))
	done
	return 1
}

# qg_wait_listen PORT PID - wait (5 s at most) until PORT listens; fails if
# PID died first.
qg_wait_listen() {
	n=0
	while [ $n -lt 50 ]; do
		kill -0 "$2" 2>/dev/null || return 1
		if command -v ss >/dev/null 2>&1; then
			[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ] || return 0
		elif [ $n -ge 3 ]; then
			return 0
		fi
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

# qg_start_httpd DIR - serve DIR over HTTP on 127.0.0.1 (busybox httpd, the
# host's own busybox); sets qg_http_port.
qg_start_httpd() {
	for _try in 1 2 3; do
		qg_http_port=$(qg_free_port) || return 1
		busybox httpd -f -p "127.0.0.1:$qg_http_port" -h "$1" \
			>>"$qg_tmp/httpd.log" 2>&1 &
		qg_pid=$!
		qg_track $qg_pid
		qg_wait_listen "$qg_http_port" $qg_pid && return 0
	done
	qg_log "busybox httpd did not start: $(tail -n 3 "$qg_tmp/httpd.log")"
	return 1
}

# qg_start_sink FILE - accept one TCP connection on 127.0.0.1, store what it
# sends in FILE and, after the sender's half-close, answer with the sha256
# of FILE; sets qg_sink_port.
qg_start_sink() {
	for _try in 1 2 3; do
		qg_sink_port=$(qg_free_port) || return 1
		socat -t 30 -T 300 \
			"TCP-LISTEN:$qg_sink_port,bind=127.0.0.1,reuseaddr" \
			"SYSTEM:cat >'$1'; sha256sum <'$1'" \
			>>"$qg_tmp/sink.log" 2>&1 &
		qg_pid=$!
		qg_track $qg_pid
		qg_wait_listen "$qg_sink_port" $qg_pid && return 0
	done
	qg_log "socat listener did not start: $(tail -n 3 "$qg_tmp/sink.log")"
	return 1
}

# qg_start_net - start the guest's network per ULVM_NETDEV; sets
# qg_netdev (the -netdev argument).  Returns 2 when the daemon is missing.
qg_start_net() {
	case "${ULVM_NETDEV:-slirpish}" in
	user)
		qg_netdev=user,id=n0
		;;
	slirpish)
		bin=${SLIRPISH:-${top_builddir:-.}/slirpish/slirpish}
		if [ ! -x "$bin" ]; then
			qg_log "no slirpish binary at $bin"
			return 2
		fi
		sock=$qg_tmp/net.sock
		bin=$(qg_runnable "$bin") || return 1
		# shellcheck disable=SC2086
		$qg_as "$bin" --socket "$sock" ${SLIRPISH_ARGS:-} \
			>>"$qg_tmp/slirpish.log" 2>&1 &
		qg_pid=$!
		qg_track $qg_pid
		n=0
		while [ ! -S "$sock" ] && [ $n -lt 50 ]; do
			kill -0 $qg_pid 2>/dev/null || break
			sleep 0.1
			n=$((n + 1))
		done
		if [ ! -S "$sock" ]; then
			qg_log "slirpish did not create $sock:" \
				"$(tail -n 5 "$qg_tmp/slirpish.log")"
			return 1
		fi
		qg_daemon_pid=$qg_pid
		qg_sock=$sock
		qg_netdev=stream,id=n0,server=off,addr.type=unix,addr.path=$sock
		;;
	*)
		qg_log "ULVM_NETDEV=$ULVM_NETDEV: want slirpish or user"
		return 1
		;;
	esac
}

# qg_start_qemu GUESTDIR APPEND LOG LIMIT - boot the guest (TCG, no KVM) in
# the background with its console on LOG, or on the terminal when LOG is "-";
# LIMIT seconds (0: none, the terminal case) bound its run (exit 124 when
# hit).  Sets qg_qemu_pid; qg_wait_qemu collects it.
qg_start_qemu() {
	qg_log_to=$3
	qg_limit=$4
	set -- "$1" "$2" "${ULVM_QEMU:-qemu-system-i386}" -M pc -accel tcg \
		-m 256 -nographic -no-reboot \
		-kernel "$1/vmlinuz" -initrd "$1/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=1 $2" \
		-netdev "$qg_netdev" -device virtio-net-pci,netdev=n0,romfile=
	shift 2
	[ "$qg_limit" -le 0 ] || set -- timeout -k 5 "$qg_limit" "$@"
	if [ "$qg_log_to" = - ]; then
		"$@" </dev/tty &
	else
		"$@" </dev/null >"$qg_log_to" 2>&1 &
	fi
	qg_qemu_pid=$!
	qg_track $qg_qemu_pid
}

# qg_start_ulvm GUESTDIR APPEND LOG LIMIT - as qg_start_qemu, under ulvm:
# the kernel rewritten by ulvm-rewrite into the scratch directory first, the
# ulvmnet card linked to slirpish's socket (qg_start_net first).
qg_start_ulvm() {
	qg_log_to=$3
	qg_limit=$4
	qg_ulvm=${ULVM:-${top_builddir:-.}/ulvm}
	qg_rw=${ULVM_REWRITE:-${top_builddir:-.}/ulvm-rewrite}
	if [ -z "${qg_sock:-}" ]; then
		qg_log "ulvm needs slirpish (ULVM_NETDEV=slirpish)"
		return 1
	fi
	"$qg_rw" -q "$1/vmlinuz" -o "$qg_tmp/vmlinux-ulvm" >>"$qg_tmp/rewrite.log" 2>&1 || {
		qg_log "ulvm-rewrite failed: $(tail -n 3 "$qg_tmp/rewrite.log")"
		return 1
	}
	cp "$1/initramfs.cpio.gz" "$qg_tmp/initramfs.cpio.gz" &&
		chmod 644 "$qg_tmp/vmlinux-ulvm" "$qg_tmp/initramfs.cpio.gz" || return 1
	qg_ulvm=$(qg_runnable "$qg_ulvm") || return 1
	set -- $qg_as "$qg_ulvm" run --kernel "$qg_tmp/vmlinux-ulvm" \
		--initrd "$qg_tmp/initramfs.cpio.gz" --net "$qg_sock" ${ULVM_ARGS:-} \
		--append "console=ttyS0 panic=1 $2"
	[ "$qg_limit" -le 0 ] || set -- timeout -k 5 "$qg_limit" "$@"
	if [ "$qg_log_to" = - ]; then
		"$@" </dev/tty &
	else
		"$@" </dev/null >"$qg_log_to" 2>>"$qg_tmp/ulvm.log" &
	fi
	qg_qemu_pid=$!
	qg_track $qg_qemu_pid
}

# qg_start_vm GUESTDIR APPEND LOG LIMIT - qg_start_ulvm or qg_start_qemu, per ULVM_VM.
qg_start_vm() {
	case "${ULVM_VM:-qemu}" in
	ulvm) qg_start_ulvm "$@" ;;
	qemu) qg_start_qemu "$@" ;;
	*) qg_log "ULVM_VM=$ULVM_VM: want ulvm or qemu"; return 1 ;;
	esac
}

# qg_wait_qemu - wait for QEMU (or ulvm) to end; its exit status (124: time limit).
# Should the network daemon die while QEMU runs on (a second of grace: the
# daemon also ends when QEMU closes its socket), QEMU is stopped at once and
# the status is 125: a guest without its network would only wait for its
# timeouts.
qg_wait_qemu() {
	grace=0
	while kill -0 "$qg_qemu_pid" 2>/dev/null; do
		if [ -n "$qg_daemon_pid" ] &&
			! kill -0 "$qg_daemon_pid" 2>/dev/null; then
			grace=$((grace + 1))
			if [ $grace -gt 5 ]; then
				qg_log "the network daemon exited; stopping QEMU"
				kill "$qg_qemu_pid" 2>/dev/null
				wait "$qg_qemu_pid"
				return 125
			fi
		fi
		sleep 0.2
	done
	wait "$qg_qemu_pid"
}
