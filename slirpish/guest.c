// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* guest.c - guest links: reading frames in, queueing and writing frames out, closing.
 *
 * Theory of operation
 * -------------------
 * A guest link is a stream socket (4-byte big-endian length, then an
 * Ethernet frame: QEMU's -netdev stream) or a TAP file descriptor (one frame
 * per read/write).  Each link is one guest on its own virtual network: flows
 * carry the guest's id in their key, so guests never see each other.
 *
 * Input: the readable callback reads as much as the link has (several
 * frames per read on streams), hands each complete frame to eth_input() and
 * keeps a partial frame at the start of @rx.  Handlers never keep pointers
 * into @rx past their return.
 *
 * Output: frames are built in place in @tx, as records [u32 length][frame].
 * guest_frame_alloc() reserves space at the end (the reserved length is
 * stored in the record's length field until the commit), the caller writes
 * the frame there, and guest_frame_commit() sets the real length.  Several
 * reservations may be outstanding (TCP reads a batch of segments from a
 * socket straight into them); they are committed in order and only the last
 * may shrink.  Nothing is written to the link while reservations are
 * outstanding.  The prepare watcher flushes every link before the loop
 * blocks, so the frames of one loop iteration leave in one write on streams.
 * A link that cannot take more keeps its records and a writable watcher.
 *
 * Closing: guest_close() stops the watchers, closes the fd and every flow of
 * the guest at once; the struct itself is freed by guest_sweep() from the
 * prepare watcher, never inside one of its own callbacks.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include "slirpish/eth.h"
#include "slirpish/flow.h"
#include "slirpish/guest.h"
#include "slirpish/log.h"
#include "slirpish/pcap.h"
#include "slirpish/tcp.h"

#define GUEST_REC_HDR 4
/* Reads per readable callback: enough to batch, bounded for fairness. */
#define GUEST_RX_BUDGET 64

/**
 * frame_stream_next() - find the next complete frame in a stream buffer
 * @buf:	buffered bytes
 * @len:	number of bytes at @buf
 * @max_frame:	largest acceptable frame length
 * @frame:	set to the frame's first byte
 * @frame_len:	set to the frame's length (may be short: the caller checks)
 *
 * Return: bytes consumed (> 0) for a complete frame, 0 when more bytes are
 * needed, -1 when the length prefix exceeds @max_frame (the stream cannot
 * be resynchronised).
 */
int frame_stream_next(const uint8_t *buf, size_t len, size_t max_frame,
		      const uint8_t **frame, size_t *frame_len)
{
	uint32_t flen;

	if (len < GUEST_REC_HDR)
		return 0;
	flen = rd32(buf);
	if (flen > max_frame)
		return -1;
	if (len - GUEST_REC_HDR < flen)
		return 0;
	*frame = buf + GUEST_REC_HDR;
	*frame_len = flen;
	return (int)(GUEST_REC_HDR + flen);
}

/* guest_rx_frame() - account and dispatch one frame from the guest. */
static void guest_rx_frame(struct guest *g, const uint8_t *frame, size_t len)
{
	struct ctx *c = g->c;

	if (g->vnet) {
		const struct virtio_net_hdr *vh = (const void *)frame;

		if (len < GUEST_VNET_LEN) {
			STAT_INC(&c->stats, BAD_FRAME_LEN);
			return;
		}
		/* The guest's own kernel left the checksum to us (NEEDS_CSUM)
		 * or checked it (DATA_VALID): either way it is not to be verified. */
		g->rx_csum_ok = !!(vh->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM |
						VIRTIO_NET_HDR_F_DATA_VALID));
		frame += GUEST_VNET_LEN;
		len -= GUEST_VNET_LEN;
	} else {
		g->rx_csum_ok = 0;
	}

	STAT_INC(&c->stats, RX_FRAMES);
	STAT_ADD(&c->stats, RX_BYTES, len);
	if (c->pcap)
		pcap_frame(c->pcap, frame, len);
	eth_input(g, frame, len);
}

/* guest_rx_stream() - read and dispatch from a stream link; 0 or -errno. */
static int guest_rx_stream(struct guest *g)
{
	int budget;

	for (budget = 0; budget < GUEST_RX_BUDGET && !g->closing; budget++) {
		const uint8_t *frame;
		size_t flen, off = 0;
		ssize_t n;
		int used;

		n = read(g->fd, g->rx + g->rx_len, GUEST_RX_SIZE - g->rx_len);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		g->rx_len += (size_t)n;
		while (!g->closing &&
		       (used = frame_stream_next(g->rx + off, g->rx_len - off,
						 GUEST_FRAME_MAX, &frame, &flen)) > 0) {
			guest_rx_frame(g, frame, flen);
			off += (size_t)used;
		}
		/* Batched TCP payload points into @rx: write it before moving. */
		tcp_batch_flush(g->c);
		if (used < 0) {
			STAT_INC(&g->c->stats, BAD_FRAME_LEN);
			return -EPROTO;
		}
		g->rx_len -= off;
		if (g->rx_len && off)
			memmove(g->rx, g->rx + off, g->rx_len);
		if ((size_t)n < GUEST_RX_SIZE / 2)
			break;
	}
	return 0;
}

/* guest_rx_tap() - read and dispatch frames from a TAP link; 0 or -errno.
 *
 * Frames are read one after another into @rx without overwriting each
 * other, so that TCP can batch their payload (tcp_batch_flush()). */
static int guest_rx_tap(struct guest *g)
{
	size_t off = 0;
	int budget, ret = 0;

	for (budget = 0; budget < GUEST_RX_BUDGET && !g->closing; budget++) {
		ssize_t n;

		if (GUEST_RX_SIZE - off < GUEST_FRAME_MAX + GUEST_VNET_LEN) {
			tcp_batch_flush(g->c);
			off = 0;
		}
		n = read(g->fd, g->rx + off, GUEST_RX_SIZE - off);
		if (n <= 0) {
			if (n == 0)
				ret = -ECONNRESET;
			else if (errno != EAGAIN && errno != EINTR)
				ret = -errno;
			break;
		}
		if ((size_t)n > GUEST_FRAME_MAX + GUEST_VNET_LEN) {
			STAT_INC(&g->c->stats, BAD_FRAME_LEN);
			continue;
		}
		guest_rx_frame(g, g->rx + off, (size_t)n);
		off += (size_t)n;
	}
	tcp_batch_flush(g->c);
	return ret;
}

/* guest_rx_cb() - the link is readable. */
static void guest_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct guest *g = container_of(w, struct guest, rx_w);
	int ret;

	ret = g->kind == GUEST_STREAM ? guest_rx_stream(g) : guest_rx_tap(g);
	if (ret == -EPROTO)
		guest_close(g, "bad frame length on the stream (cannot resynchronise)");
	else if (ret == -ECONNRESET)
		guest_close(g, "guest hung up");
	else if (ret < 0)
		guest_close(g, strerror(-ret));
}

/* guest_tx_cb() - the link can take more output. */
static void guest_tx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	guest_flush(container_of(w, struct guest, tx_w));
}

/**
 * guest_add() - take a connected link as a new guest
 * @c:		daemon context
 * @fd:		link fd (made non-blocking here); owned by the guest from now on
 * @kind:	framing of the link
 *
 * Return: the guest, or NULL (fd closed) when no slot or memory is left.
 */
struct guest *guest_add(struct ctx *c, int fd, enum guest_kind kind)
{
	struct guest *g = NULL;
	unsigned id;

	for (id = 0; id < c->conf->max_guests && id < CTX_GUESTS_MAX; id++)
		if (!c->guests[id])
			break;
	if (id == c->conf->max_guests || id == CTX_GUESTS_MAX) {
		warn("guest link refused: %u guests already (--max-guests)", id);
		goto fail;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		goto fail;
	g->rx = malloc(GUEST_RX_SIZE);
	g->tx = malloc(GUEST_TX_SIZE);
	if (!g->rx || !g->tx)
		goto fail;
	g->c = c;
	g->id = id;
	g->kind = kind;
	g->fd = fd;
	g->mtu = c->conf->mtu;
	if (fd_set_nonblock(fd) < 0)
		goto fail;
	ev_io_init(&g->rx_w, guest_rx_cb, fd, EV_READ);
	ev_io_init(&g->tx_w, guest_tx_cb, fd, EV_WRITE);
	ev_io_start(c->loop, &g->rx_w);
	c->guests[id] = g;
	STAT_INC(&c->stats, GUESTS_CONNECTED);
	info("guest %u: connected (%s)", id, kind == GUEST_STREAM ? "stream" : "tap");
	return g;
fail:
	if (g) {
		free(g->rx);
		free(g->tx);
		free(g);
	}
	close(fd);
	return NULL;
}

/**
 * guest_close() - close a guest link and every flow of the guest
 * @g:		guest (freed later by guest_sweep())
 * @why:	reason, logged
 */
void guest_close(struct guest *g, const char *why)
{
	struct ctx *c = g->c;

	if (g->closing)
		return;
	g->closing = 1;
	info("guest %u: closed: %s", g->id, why);
	ev_io_stop(c->loop, &g->rx_w);
	ev_io_stop(c->loop, &g->tx_w);
	flow_close_guest(c, g);
	close(g->fd);
	g->fd = -1;
	STAT_INC(&c->stats, GUESTS_DISCONNECTED);
}

/**
 * guest_close_all() - close every guest link (at exit)
 * @c:		daemon context
 */
void guest_close_all(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < CTX_GUESTS_MAX; i++)
		if (c->guests[i])
			guest_close(c->guests[i], "slirpish exiting");
	guest_sweep(c);
}

/**
 * guest_sweep() - free guests closed since the last sweep
 * @c:		daemon context
 */
void guest_sweep(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < CTX_GUESTS_MAX; i++) {
		struct guest *g = c->guests[i];

		if (!g || !g->closing)
			continue;
		c->guests[i] = NULL;
		free(g->rx);
		free(g->tx);
		free(g);
	}
}

/**
 * guest_primary() - the guest port maps lead to
 * @c:		daemon context
 *
 * Return: the oldest open guest with a known address, else the oldest open
 * guest, else NULL.
 */
struct guest *guest_primary(struct ctx *c)
{
	struct guest *any = NULL;
	unsigned i;

	for (i = 0; i < CTX_GUESTS_MAX; i++) {
		struct guest *g = c->guests[i];

		if (!g || g->closing)
			continue;
		if (g->addr)
			return g;
		if (!any)
			any = g;
	}
	return any;
}

/* guest_tx_compact() - move pending records to the start of the buffer. */
static size_t guest_rec_hdr(const struct guest *g)
{
	return GUEST_REC_HDR + (g->vnet ? GUEST_VNET_LEN : 0);
}

/* guest_tx_compact() - move pending records to the start of the buffer. */
static void guest_tx_compact(struct guest *g)
{
	if (g->tx_reserved || !g->tx_head)
		return;
	memmove(g->tx, g->tx + g->tx_head, g->tx_tail - g->tx_head);
	g->tx_tail -= g->tx_head;
	g->tx_head = 0;
}

/**
 * guest_addr() - the guest's address, as far as slirpish can tell
 * @g:		guest
 *
 * Return: the address learned from its traffic, else the one DHCP hands
 * out (a guest configured statically may not have spoken yet: as with
 * QEMU, it is expected there).
 */
uint32_t guest_addr(const struct guest *g)
{
	return g->addr ? g->addr : g->c->conf->guest_addr;
}

/**
 * guest_tx_room() - largest frame guest_frame_alloc() can give now
 * @g:		guest
 *
 * Return: bytes, 0 when the buffer is full (or the guest is closing).
 */
size_t guest_tx_room(const struct guest *g)
{
	size_t used = g->tx_tail + g->tx_reserved;
	size_t room;

	if (g->closing)
		return 0;
	/* Count the space compaction would recover, too. */
	if (!g->tx_reserved)
		used -= g->tx_head;
	room = GUEST_TX_SIZE - used;
	return room > guest_rec_hdr(g) ? room - guest_rec_hdr(g) : 0;
}

/**
 * guest_frame_alloc() - reserve space for one frame to the guest
 * @g:		guest
 * @len:	largest length the frame will have
 *
 * Return: where to write the frame, or NULL (counted as TX_DROPPED) when
 * the link's buffer is full or the guest is closing.
 */
uint8_t *guest_frame_alloc(struct guest *g, size_t len)
{
	size_t hl = guest_rec_hdr(g);
	uint8_t *rec;

	if (g->closing || len > GUEST_FRAME_MAX) {
		STAT_INC(&g->c->stats, TX_DROPPED);
		return NULL;
	}
	if (g->tx_tail + g->tx_reserved + hl + len > GUEST_TX_SIZE)
		guest_tx_compact(g);
	if (g->tx_tail + g->tx_reserved + hl + len > GUEST_TX_SIZE) {
		STAT_INC(&g->c->stats, TX_DROPPED);
		return NULL;
	}
	rec = g->tx + g->tx_tail + g->tx_reserved;
	wr32(rec, (uint32_t)len);
	if (g->vnet)
		memset(rec + GUEST_REC_HDR, 0, GUEST_VNET_LEN);
	g->tx_reserved += hl + len;
	return rec + hl;
}

/**
 * guest_frame_offload() - leave a frame's checksum (and segmentation) to the link
 * @g:		guest; must have @vnet set
 * @frame:	an outstanding reservation
 * @csum_start:	offset of the layer-4 header in the frame
 * @csum_off:	offset of the checksum field from @csum_start; the field
 *		holds the pseudo-header sum
 * @gso_size:	TCP payload per segment when the frame is a larger TCP/IPv4
 *		segment the link must cut up, 0 otherwise
 */
void guest_frame_offload(struct guest *g, uint8_t *frame, uint16_t csum_start,
			 uint16_t csum_off, uint16_t gso_size)
{
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = gso_size ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_NONE,
		.csum_start = csum_start,
		.csum_offset = csum_off,
		.gso_size = gso_size,
		.hdr_len = (uint16_t)(csum_start + 20),
	};

	ASSERT(g->vnet);
	memcpy(frame - GUEST_VNET_LEN, &vh, sizeof(vh));
}

/**
 * guest_frame_commit() - queue a frame built in a reservation
 * @g:		guest
 * @frame:	pointer returned by guest_frame_alloc(), the oldest outstanding
 * @len:	final length, at most the reserved one (only the last
 *		outstanding reservation may shrink)
 */
void guest_frame_commit(struct guest *g, uint8_t *frame, size_t len)
{
	size_t hl = guest_rec_hdr(g);
	uint8_t *rec = frame - hl;
	uint32_t reserved = rd32(rec);
	struct ctx *c = g->c;

	ASSERT(rec == g->tx + g->tx_tail);
	ASSERT(len <= reserved);
	g->tx_reserved -= hl + reserved;
	ASSERT(len == reserved || !g->tx_reserved);
	wr32(rec, (uint32_t)len);
	g->tx_tail += hl + len;
	STAT_INC(&c->stats, TX_FRAMES);
	STAT_ADD(&c->stats, TX_BYTES, len);
	if (c->pcap)
		pcap_frame(c->pcap, frame, len);
}

/**
 * guest_frame_cancel_after() - drop the reservations made after @frame
 * @g:		guest
 * @frame:	an outstanding reservation, which is kept (and may now shrink)
 */
void guest_frame_cancel_after(struct guest *g, uint8_t *frame)
{
	size_t hl = guest_rec_hdr(g);
	uint8_t *rec = frame - hl;

	ASSERT(rec >= g->tx + g->tx_tail && rec < g->tx + g->tx_tail + g->tx_reserved);
	g->tx_reserved = (size_t)(rec - (g->tx + g->tx_tail)) + hl + rd32(rec);
}

/**
 * guest_frame_cancel() - drop every outstanding reservation
 * @g:		guest
 */
void guest_frame_cancel(struct guest *g)
{
	g->tx_reserved = 0;
}

/* guest_flush_stream() - write pending records; 0, -EAGAIN or -errno. */
static int guest_flush_stream(struct guest *g)
{
	while (g->tx_head < g->tx_tail) {
		ssize_t n = write(g->fd, g->tx + g->tx_head, g->tx_tail - g->tx_head);

		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		g->tx_head += (size_t)n;
	}
	return 0;
}

/* guest_flush_tap() - write pending frames one by one; 0, -EAGAIN or -errno. */
static int guest_flush_tap(struct guest *g)
{
	while (g->tx_head < g->tx_tail) {
		uint32_t len = rd32(g->tx + g->tx_head) + (g->vnet ? GUEST_VNET_LEN : 0);
		ssize_t n = write(g->fd, g->tx + g->tx_head + GUEST_REC_HDR, len);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return -EAGAIN;
		/* A TAP device that is down or has no carrier drops frames:
		 * so do we, and go on with the next. */
		if (n < 0 && errno != EIO && errno != ENOBUFS && errno != EINVAL)
			return -errno;
		g->tx_head += GUEST_REC_HDR + len;
	}
	return 0;
}

/**
 * guest_flush() - write queued frames to the link, as much as it takes
 * @g:		guest
 *
 * Starts the writable watcher when the link is full; closes the guest when
 * the link failed.
 */
void guest_flush(struct guest *g)
{
	int ret;

	if (g->closing || g->tx_reserved || g->tx_head == g->tx_tail)
		return;
	ret = g->kind == GUEST_STREAM ? guest_flush_stream(g) : guest_flush_tap(g);
	if (ret == -EAGAIN) {
		ev_io_start(g->c->loop, &g->tx_w);
		return;
	}
	if (ret < 0) {
		guest_close(g, strerror(-ret));
		return;
	}
	ev_io_stop(g->c->loop, &g->tx_w);
	g->tx_head = g->tx_tail = 0;
	/* Flows that stopped for lack of room can go on. */
	tcp_guest_writable(g);
}

/**
 * guest_flush_all() - flush every guest link
 * @c:		daemon context
 */
void guest_flush_all(struct ctx *c)
{
	unsigned i;

	for (i = 0; i < CTX_GUESTS_MAX; i++)
		if (c->guests[i])
			guest_flush(c->guests[i]);
}
