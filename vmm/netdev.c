// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/*
 * netdev.c - the ulvmnet paravirtual network device (ulvmnet_abi.h).
 *
 * Theory of operation: the device is linked to a network daemon (slirpish
 * --socket PATH, or anything speaking QEMU's -netdev stream framing: a
 * 4-byte big-endian length, then one Ethernet frame) over a Unix stream
 * socket, non-blocking.  The guest's transmits are framed into @out and
 * written at once; what the socket does not take waits in @out, and a
 * frame that does not fit in @out is dropped and counted, as a wire would
 * lose it.  Received bytes gather in @in; the first complete frame there
 * is "the waiting frame" of the RX registers, and the interrupt line is
 * high while one waits.  @in is refilled from the socket when the trap
 * loop polls the device (timer ticks, hlt) and when the guest asks for
 * RX_LEN with nothing complete, so a busy guest keeps receiving.
 *
 * Everything the daemon sends is untrusted: a length over the buffer is a
 * broken link (closed, reported); a frame too big for the guest is dropped.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "guest-drivers/ulvmnet/ulvmnet_abi.h"
#include "vmm/mem.h"
#include "vmm/netdev.h"
#include "vmm/pic.h"
#include "vmm/util.h"

#define NETDEV_FRAME_MAX	(NETDEV_MTU + ULVMNET_HDR_LEN)

/**
 * netdev_init() - connect the device to the daemon listening at @path
 * @nd:		device, zeroed by the caller
 * @path:	Unix socket of the daemon
 * @mem:	guest RAM
 * @pic:	interrupt controller
 *
 * Return: 0, or -errno after printing why.
 */
int netdev_init(struct netdev *nd, const char *path, struct mem *mem, struct pic *pic)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	nd->fd = -1;
	nd->path = path;
	nd->mem = mem;
	nd->pic = pic;
	memcpy(nd->mac, (const uint8_t[]){ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, 6);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		err("--net %s: path too long for a Unix socket", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	nd->in = malloc(NETDEV_BUF_SIZE);
	nd->out = malloc(NETDEV_BUF_SIZE);
	if (!nd->in || !nd->out) {
		err("--net: out of memory");
		return -ENOMEM;
	}
	nd->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (nd->fd < 0) {
		err("--net: socket: %s", strerror(errno));
		return -errno;
	}
	/* A local listener accepts at once, or refuses: no EINPROGRESS wait. */
	if (connect(nd->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		err("--net %s: cannot connect: %s (is slirpish --socket %s running?)",
		    path, strerror(e), path);
		close(nd->fd);
		nd->fd = -1;
		return -e;
	}
	return 0;
}

/* netdev_down() - the link is gone: close it, forget what was in flight. */
static void netdev_down(struct netdev *nd, const char *why)
{
	if (nd->fd < 0)
		return;
	warn("network link %s: %s; the guest's network is down", nd->path, why);
	close(nd->fd);
	nd->fd = -1;
	nd->in_off = nd->in_len = nd->out_len = 0;
}

/**
 * netdev_free() - close the link and free the buffers
 * @nd:		device (netdev_init() done or not)
 */
void netdev_free(struct netdev *nd)
{
	if (nd->fd >= 0)
		close(nd->fd);
	nd->fd = -1;
	free(nd->in);
	free(nd->out);
	nd->in = nd->out = NULL;
}

/* netdev_flush() - write what @out holds; keep the rest for later. */
static void netdev_flush(struct netdev *nd)
{
	size_t done = 0;

	while (nd->fd >= 0 && done < nd->out_len) {
		ssize_t n = send(nd->fd, nd->out + done, nd->out_len - done, MSG_NOSIGNAL);

		if (n > 0) {
			done += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			netdev_down(nd, n < 0 ? strerror(errno) : "closed");
			return;
		}
	}
	memmove(nd->out, nd->out + done, nd->out_len - done);
	nd->out_len -= done;
}

/* netdev_tx() - send the frame of @len bytes at TX_ADDR. */
static void netdev_tx(struct netdev *nd, uint32_t len)
{
	const uint8_t *frame = mem_ptr(nd->mem, nd->tx_addr, len);
	uint8_t *p;

	if (nd->fd < 0 || !frame || len < ULVMNET_FRAME_MIN || len > NETDEV_FRAME_MAX ||
	    NETDEV_BUF_SIZE - nd->out_len < 4 + (size_t)len) {
		nd->tx_drops++;
		return;
	}
	p = nd->out + nd->out_len;
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memcpy(p + 4, frame, len);
	nd->out_len += 4 + len;
	nd->tx_frames++;
	netdev_flush(nd);
}

/* netdev_skip() - drop the frame of @len bytes at the head of @in. */
static void netdev_skip(struct netdev *nd, uint32_t len)
{
	nd->in_off += 4 + (size_t)len;
	if (nd->in_off == nd->in_len)
		nd->in_off = nd->in_len = 0;
}

/*
 * netdev_waiting() - length of the frame the guest can take now, 0 if none.
 * Complete frames the guest could not take (shorter than an Ethernet header,
 * longer than the MTU allows) are dropped and counted on the way; a length
 * no buffer could hold means the daemon is broken, and ends the link.
 */
static uint32_t netdev_waiting(struct netdev *nd)
{
	while (nd->in_len - nd->in_off >= 4) {
		const uint8_t *p = nd->in + nd->in_off;
		uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			       (uint32_t)p[2] << 8 | p[3];

		if (len > NETDEV_BUF_SIZE - 4) {
			netdev_down(nd, "bad frame length from the daemon");
			return 0;
		}
		if (nd->in_len - nd->in_off - 4 < len)
			return 0;		/* not all here yet */
		if (len >= ULVMNET_FRAME_MIN && len <= NETDEV_FRAME_MAX)
			return len;
		nd->rx_drops++;
		netdev_skip(nd, len);
	}
	return 0;
}

/* netdev_fill() - read what the link has into @in, as far as it fits. */
static void netdev_fill(struct netdev *nd)
{
	for (;;) {
		ssize_t n;

		netdev_waiting(nd);		/* drops what the guest cannot take */
		if (nd->fd < 0)
			return;
		if (nd->in_off && nd->in_len == NETDEV_BUF_SIZE) {
			memmove(nd->in, nd->in + nd->in_off, nd->in_len - nd->in_off);
			nd->in_len -= nd->in_off;
			nd->in_off = 0;
		}
		if (nd->in_len == NETDEV_BUF_SIZE)
			return;			/* full: the daemon waits for the guest */
		n = recv(nd->fd, nd->in + nd->in_len, NETDEV_BUF_SIZE - nd->in_len, 0);
		if (n > 0) {
			nd->in_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		netdev_down(nd, n < 0 ? strerror(errno) : "the daemon closed it");
		return;
	}
}

/* netdev_irq() - drive the interrupt line from the device's state. */
static void netdev_irq(struct netdev *nd)
{
	int level = (nd->ctrl & ULVMNET_CTRL_RX_IRQ) && netdev_waiting(nd);

	if (level == nd->irq_level)
		return;
	nd->irq_level = level;
	pic_set_irq(nd->pic, NETDEV_IRQ, level);
}

/* netdev_rx() - copy the waiting frame to @gpa (0: drop it). */
static void netdev_rx(struct netdev *nd, uint32_t gpa)
{
	uint32_t len = netdev_waiting(nd);
	uint8_t *dst;

	if (!len)
		return;
	dst = gpa ? mem_ptr(nd->mem, gpa, len) : NULL;
	if (dst) {
		memcpy(dst, nd->in + nd->in_off + 4, len);
		nd->rx_frames++;
	} else {
		nd->rx_drops++;
	}
	netdev_skip(nd, len);
}

/* netdev_read_reg() - the value of register @reg. */
static uint32_t netdev_read_reg(struct netdev *nd, unsigned int reg)
{
	switch (reg) {
	case ULVMNET_REG_MAGIC: return ULVMNET_MAGIC;
	case ULVMNET_REG_VERSION: return ULVMNET_VERSION;
	case ULVMNET_REG_MAC_LO:
		return nd->mac[0] | (uint32_t)nd->mac[1] << 8 |
		       (uint32_t)nd->mac[2] << 16 | (uint32_t)nd->mac[3] << 24;
	case ULVMNET_REG_MAC_HI: return nd->mac[4] | (uint32_t)nd->mac[5] << 8;
	case ULVMNET_REG_IRQ: return NETDEV_IRQ;
	case ULVMNET_REG_MTU: return NETDEV_MTU;
	case ULVMNET_REG_STATUS:
		return (nd->fd >= 0 ? ULVMNET_STATUS_LINK : 0) |
		       (netdev_waiting(nd) ? ULVMNET_STATUS_RX : 0);
	case ULVMNET_REG_CTRL: return nd->ctrl;
	case ULVMNET_REG_RX_LEN:
		if (!netdev_waiting(nd))
			netdev_fill(nd);
		return netdev_waiting(nd);
	case ULVMNET_REG_TX_DROPS: return (uint32_t)nd->tx_drops;
	case ULVMNET_REG_RX_DROPS: return (uint32_t)nd->rx_drops;
	default: return 0;
	}
}

/* netdev_write_reg() - a write of @v to register @reg. */
static void netdev_write_reg(struct netdev *nd, unsigned int reg, uint32_t v)
{
	switch (reg) {
	case ULVMNET_REG_CTRL: nd->ctrl = v & ULVMNET_CTRL_RX_IRQ; break;
	case ULVMNET_REG_TX_ADDR: nd->tx_addr = v; break;
	case ULVMNET_REG_TX_LEN: netdev_tx(nd, v); break;
	case ULVMNET_REG_RX_ADDR: netdev_rx(nd, v); break;
	default: break;			/* read-only or unused: ignored */
	}
}

/* netdev_io() - the port handler: 32-bit accesses to aligned registers. */
static int netdev_io(struct cpu *cpu, uint64_t port, uint8_t *data, unsigned int len,
		     bool is_write, void *opaque)
{
	struct netdev *nd = opaque;
	unsigned int reg = (unsigned int)(port - ULVMNET_PORT_BASE);
	uint32_t v;

	if (len != 4 || reg % 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return 0;
	}
	if (is_write) {
		netdev_write_reg(nd, reg, data[0] | (uint32_t)data[1] << 8 |
				 (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24);
	} else {
		v = netdev_read_reg(nd, reg);
		data[0] = (uint8_t)v;
		data[1] = (uint8_t)(v >> 8);
		data[2] = (uint8_t)(v >> 16);
		data[3] = (uint8_t)(v >> 24);
	}
	netdev_irq(nd);
	return 0;
}

/**
 * netdev_register() - claim the device's ports
 * @nd:		device after netdev_init()
 * @io:		port table
 *
 * Return: 0, or -errno when the ports are taken.
 */
int netdev_register(struct netdev *nd, struct io *io)
{
	return io_register(io, ULVMNET_PORT_BASE, ULVMNET_PORT_COUNT, netdev_io, nd, "ulvmnet");
}

/**
 * netdev_poll() - move link traffic both ways and update the interrupt line
 * @nd:		device; nothing to do while the link is down
 */
void netdev_poll(struct netdev *nd)
{
	if (nd->fd < 0)
		return;
	if (nd->out_len)
		netdev_flush(nd);
	netdev_fill(nd);
	netdev_irq(nd);
}

/**
 * netdev_poll_fd() - what a halted guest waits for on the link
 * @nd:		device
 * @events:	set to the poll() events of interest
 *
 * Return: the descriptor, or -1 when there is nothing to wait for.
 */
int netdev_poll_fd(const struct netdev *nd, short *events)
{
	*events = 0;
	if (nd->fd < 0)
		return -1;
	if (nd->in_len < NETDEV_BUF_SIZE)
		*events |= POLLIN;
	if (nd->out_len)
		*events |= POLLOUT;
	return *events ? nd->fd : -1;
}

/**
 * netdev_print_stats() - the device's counters, for --trace
 * @nd:		device
 */
void netdev_print_stats(const struct netdev *nd)
{
	info("ulvmnet: %" PRIu64 " frames sent, %" PRIu64 " received, %" PRIu64
	     " send drops, %" PRIu64 " receive drops%s", nd->tx_frames, nd->rx_frames,
	     nd->tx_drops, nd->rx_drops, nd->fd >= 0 ? "" : " (link down)");
}
