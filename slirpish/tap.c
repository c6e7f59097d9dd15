// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* tap.c - open (or create) a TAP device, inside another network namespace if asked (as pasta does). */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "slirpish/tap.h"

/* Error text of the last failed tap_open(): start-up only. */
static char tap_errbuf[256];

/* tap_fail() - keep an error message; returns -1. */
static int tap_fail(const char **errmsg, const char *what, const char *arg, int e)
{
	snprintf(tap_errbuf, sizeof(tap_errbuf), "%s %s: %s", what, arg, strerror(e));
	*errmsg = tap_errbuf;
	return -1;
}

/* tap_up() - set IFF_UP on @ifname in the current namespace, read its MTU; 0 or -errno. */
static int tap_up(const char *ifname, unsigned *mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		*mtu = (unsigned)ifr.ifr_mtu;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(s);
	return ret;
}

/* tap_offload() - ask for checksum and TCP segmentation offload; 1 if granted. */
static int tap_offload(int fd)
{
	int hl = (int)sizeof(struct virtio_net_hdr);

	if (ioctl(fd, TUNSETVNETHDRSZ, &hl) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) < 0)
		return 0;
	return 1;
}

/* tap_attach() - open /dev/net/tun and attach to (or create) @ifname; fd or -1.
 *
 * With IFF_VNET_HDR each frame carries a virtio-net header: the guest's
 * stack then hands over (and takes) TCP segments of up to 64 KiB whatever
 * the MTU, with checksums left to the receiver, as virtio-net does. */
static int tap_attach(const char *ifname, int *vnet, unsigned *mtu, const char **errmsg)
{
	struct ifreq ifr;
	int fd = -1, e = 0, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return tap_fail(errmsg, "cannot open", "/dev/net/tun", errno);
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (attempt ? 0 : IFF_VNET_HDR);
		strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
		if (ioctl(fd, TUNSETIFF, &ifr) == 0) {
			*vnet = !attempt && tap_offload(fd);
			if (attempt || *vnet)
				break;
			e = 0;
		} else {
			e = errno;
		}
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return tap_fail(errmsg, "cannot attach to TAP device", ifname, e ? e : EINVAL);
	/* Bringing the link up is a convenience: a user without the right
	 * to do it can still have done it. */
	tap_up(ifname, mtu);
	return fd;
}

/**
 * tap_netns_path() - the file of a namespace given by name or path
 * @netns:	name (under /run/netns) or path
 * @buf:	result
 * @size:	size of @buf
 */
void tap_netns_path(const char *netns, char *buf, size_t size)
{
	if (strchr(netns, '/'))
		snprintf(buf, size, "%s", netns);
	else
		snprintf(buf, size, "/run/netns/%s", netns);
}

/**
 * tap_open() - open TAP device @ifname, in namespace @netns when given
 * @ifname:	interface name
 * @netns:	namespace name (under /run/netns) or path, or NULL for ours
 * @vnet:	set to 1 when frames carry a virtio-net header (offloads on)
 * @mtu:	set to the device's MTU when it can be read (left alone otherwise)
 * @errmsg:	set on failure
 *
 * The calling thread enters @netns only to open the device, and returns to
 * its own namespace, where every host socket is then made.
 *
 * Return: the non-blocking TAP fd, or -1.
 */
int tap_open(const char *ifname, const char *netns, int *vnet, unsigned *mtu,
	     const char **errmsg)
{
	char path[4096];
	int self = -1, target = -1, fd;

	if (!netns)
		return tap_attach(ifname, vnet, mtu, errmsg);
	tap_netns_path(netns, path, sizeof(path));
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return tap_fail(errmsg, "cannot open", "/proc/self/ns/net", errno);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		close(self);
		return tap_fail(errmsg, "cannot open network namespace", path, errno);
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		int e = errno;

		close(self);
		close(target);
		return tap_fail(errmsg, "cannot enter network namespace", path, e);
	}
	fd = tap_attach(ifname, vnet, mtu, errmsg);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Relaying from the wrong namespace would be worse than stopping. */
		if (fd >= 0)
			close(fd);
		fd = tap_fail(errmsg, "cannot return to own namespace from", path, errno);
	}
	close(self);
	close(target);
	return fd;
}
