/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* netdev.h - the ulvmnet paravirtual network device, linked to slirpish over a Unix socket. */
#ifndef VMM_NETDEV_H
#define VMM_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/io.h"

struct mem;
struct pic;

/* Bytes of link stream buffered each way: 16 of the largest frames. */
#define NETDEV_BUF_SIZE	(1u << 20)
#define NETDEV_IRQ	10
/* The largest MTU the card takes (slirpish's); the guest starts at 1500. */
#define NETDEV_MTU	65520

/**
 * struct netdev - the device and its link
 * @fd:		connected stream socket to the network daemon, -1 when down
 * @path:	the daemon's socket, for messages
 * @mac:	the guest's MAC address
 * @ctrl:	CTRL register
 * @tx_addr:	TX_ADDR register
 * @irq_level:	the level the device drives on its interrupt line
 * @in:		link bytes received: length-prefixed frames, from @in_off
 * @in_off:	first unconsumed byte of @in
 * @in_len:	bytes in @in
 * @out:	link bytes not yet written to @fd
 * @out_len:	bytes in @out
 * @tx_frames:	frames sent
 * @rx_frames:	frames delivered to the guest
 * @tx_drops:	frames the device could not send (link down, buffer full, bad)
 * @rx_drops:	frames dropped on the way in (too big, dropped by the guest)
 * @mem:	guest RAM the frames are copied to and from
 * @pic:	interrupt controller
 */
struct netdev {
	int fd;
	const char *path;
	uint8_t mac[6];
	uint32_t ctrl;
	uint32_t tx_addr;
	int irq_level;
	uint8_t *in;
	size_t in_off, in_len;
	uint8_t *out;
	size_t out_len;
	uint64_t tx_frames, rx_frames, tx_drops, rx_drops;
	struct mem *mem;
	struct pic *pic;
};

int netdev_init(struct netdev *nd, const char *path, struct mem *mem, struct pic *pic);
void netdev_free(struct netdev *nd);
int netdev_register(struct netdev *nd, struct io *io) WARN_UNUSED;
void netdev_poll(struct netdev *nd);
int netdev_poll_fd(const struct netdev *nd, short *events);
void netdev_print_stats(const struct netdev *nd);

#endif /* VMM_NETDEV_H */
