/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* guest.h - one guest link (stream socket or TAP): frames in, frames out, its own virtual network. */
#ifndef SLIRPISH_GUEST_H
#define SLIRPISH_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "slirpish/ctx.h"
#include "slirpish/util.h"

/* Largest frame on the link: the largest IPv4 packet plus the Ethernet header. */
#define GUEST_FRAME_MAX (65535 + 14)
/* Output buffer: frames wait here (with their length prefixes) until flushed. */
#define GUEST_TX_SIZE (4u << 20)
/* Size of the virtio-net header that precedes frames on offloading TAP links. */
#define GUEST_VNET_LEN 10
/* Largest TCP payload in one frame when the link segments for us (GSO). */
#define GUEST_GSO_MAX (65535 - 20 - 20)
/* Input buffer of stream links: several frames per read(). */
#define GUEST_RX_SIZE (GUEST_FRAME_MAX + 4 + (1u << 20))

/**
 * enum guest_kind - how frames cross the link
 * @GUEST_STREAM:	stream socket, 4-byte big-endian length before each frame (QEMU -netdev stream)
 * @GUEST_TAP:		TAP file descriptor, one frame per read()/write()
 */
enum guest_kind {
	GUEST_STREAM,
	GUEST_TAP,
};

/**
 * struct guest - one guest link and what slirpish knows of the guest behind it
 * @c:		daemon context
 * @id:		index in c->guests, also the flow key's guest field
 * @kind:	link framing
 * @fd:		link file descriptor (non-blocking)
 * @rx_w:	readable watcher of @fd
 * @tx_w:	writable watcher of @fd, started only while output is pending
 * @mac:	guest MAC address, learned from its frames
 * @mac_known:	@mac is valid
 * @addr:	guest IPv4 address (host order), learned from DHCP or its packets; 0 if unknown
 * @rx:		input buffer (stream links: partial frames wait here)
 * @rx_len:	bytes held in @rx
 * @tx:		output buffer: [u32 length][frame] records
 * @tx_head:	first byte of @tx not yet written to the link
 * @tx_tail:	end of the committed records in @tx
 * @tx_reserved: bytes reserved by guest_frame_alloc() and not yet committed
 * @mtu:	largest IPv4 packet the guest's link takes (TAP: the device's MTU)
 * @vnet:	TAP link with virtio-net headers: checksum and segmentation offload
 * @rx_csum_ok:	the frame being handled had its checksums vouched for by the link
 * @closing:	the link failed or hung up; freed by the sweep
 * @n_flows:	flows open for this guest
 */
struct guest {
	struct ctx *c;
	unsigned id;
	enum guest_kind kind;
	int fd;
	ev_io rx_w;
	ev_io tx_w;
	uint8_t mac[6];
	int mac_known;
	uint32_t addr;
	uint8_t *rx;
	size_t rx_len;
	uint8_t *tx;
	size_t tx_head;
	size_t tx_tail;
	size_t tx_reserved;
	unsigned mtu;
	int vnet;
	int rx_csum_ok;
	int closing;
	unsigned n_flows;
};

struct guest *guest_add(struct ctx *c, int fd, enum guest_kind kind);
void guest_close(struct guest *g, const char *why);
void guest_close_all(struct ctx *c);
struct guest *guest_primary(struct ctx *c);
uint32_t guest_addr(const struct guest *g);

uint8_t *guest_frame_alloc(struct guest *g, size_t len);
void guest_frame_commit(struct guest *g, uint8_t *frame, size_t len);
void guest_frame_cancel(struct guest *g);
void guest_frame_offload(struct guest *g, uint8_t *frame, uint16_t csum_start,
			 uint16_t csum_off, uint16_t gso_size);
void guest_frame_cancel_after(struct guest *g, uint8_t *frame);
size_t guest_tx_room(const struct guest *g);
void guest_flush(struct guest *g);
void guest_flush_all(struct ctx *c);
void guest_sweep(struct ctx *c);

int frame_stream_next(const uint8_t *buf, size_t len, size_t max_frame,
		      const uint8_t **frame, size_t *frame_len);

#endif /* SLIRPISH_GUEST_H */
