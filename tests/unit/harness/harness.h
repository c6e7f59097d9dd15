/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* harness.h - a real slirpish daemon in the test process, a guest link to it, frame builders. */
#ifndef TESTS_UNIT_HARNESS_H
#define TESTS_UNIT_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "slirpish/conf.h"
#include "slirpish/ctx.h"
#include "slirpish/guest.h"

/* Addresses of the default virtual network (host order), as a guest knows them. */
#define H_NET 0x0a000200u	/* 10.0.2.0 */
#define H_GW 0x0a000202u	/* 10.0.2.2 */
#define H_DNS 0x0a000203u	/* 10.0.2.3 */
#define H_GUEST 0x0a00020fu	/* 10.0.2.15 */
#define H_LOOPBACK 0x7f000001u	/* 127.0.0.1 */

/* Largest frame the harness receives. */
#define H_FRAME_MAX GUEST_FRAME_MAX
/* Default wait for an answer, milliseconds. */
#define H_TIMEOUT_MS 2000

/**
 * struct harness - one daemon and one stream guest link
 * @c:		the daemon's context
 * @conf:	its configuration (defaults from conf_parse())
 * @loop:	private libev loop
 * @gid:	id of the guest slirpish created for the link
 * @fd:		the test's end of the link (the "guest")
 * @fds_at_start: open file descriptors before the harness was built
 * @mac:	the test guest's MAC address
 * @rx_w:	readable watcher of @fd
 * @deadline_w:	timeout of the current wait
 * @timed_out:	@deadline_w fired (or @deadline passed)
 * @deadline:	ev_time() at which the current wait ends
 * @rx:		bytes read from @fd, not yet taken as frames
 * @rx_len:	bytes in @rx
 */
struct harness {
	struct ctx c;
	struct conf conf;
	struct ev_loop *loop;
	unsigned gid;
	int fd;
	int fds_at_start;
	uint8_t mac[6];
	ev_io rx_w;
	ev_timer deadline_w;
	int timed_out;
	ev_tstamp deadline;
	uint8_t *rx;
	size_t rx_len;
};

/**
 * struct hframe - a frame slirpish sent to the guest, parsed by the test side
 * @data:	the frame
 * @len:	its length
 * @eth_type:	ethertype
 * @is_ip:	an IPv4 packet with a valid header (checksum verified)
 * @src:	IPv4 source, host order
 * @dst:	IPv4 destination
 * @proto:	IP protocol
 * @l4:		layer-4 bytes (bounded by the total length)
 * @l4_len:	their number
 * @l4_csum_ok:	the TCP/UDP/ICMP checksum verifies (independent implementation)
 * @sport:	UDP/TCP source port
 * @dport:	UDP/TCP destination port
 * @payload:	UDP payload
 * @payload_len: its length
 */
struct hframe {
	uint8_t data[H_FRAME_MAX];
	size_t len;
	uint16_t eth_type;
	int is_ip;
	uint32_t src;
	uint32_t dst;
	uint8_t proto;
	const uint8_t *l4;
	size_t l4_len;
	int l4_csum_ok;
	uint16_t sport;
	uint16_t dport;
	const uint8_t *payload;
	size_t payload_len;
};

struct harness *h_setup(const char *const *extra_args);
void h_teardown(struct harness *h);
struct guest *h_guest(struct harness *h);
uint64_t h_stat(const struct harness *h, enum stat_id id);
int h_count_fds(void);

void h_send_raw(struct harness *h, const void *bytes, size_t len);
void h_send(struct harness *h, const void *frame, size_t len);
int h_recv(struct harness *h, struct hframe *f, unsigned timeout_ms);
void h_run_for(struct harness *h, unsigned ms);
int h_run_until_readable(struct harness *h, int fd, unsigned timeout_ms);
void h_parse(struct hframe *f);

/* Checksums computed by the test side, independently of slirpish/csum.c. */
uint16_t h_csum(const void *buf, size_t len, uint32_t sum);
uint16_t h_l4_csum(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, size_t len);

/* Frame builders: each writes a whole Ethernet frame into @buf and returns its length. */
size_t h_build_ip4(const struct harness *h, uint8_t *buf, uint8_t proto, uint32_t src,
		   uint32_t dst, const void *l4, size_t l4_len);
size_t h_build_udp(const struct harness *h, uint8_t *buf, uint32_t src, uint16_t sport,
		   uint32_t dst, uint16_t dport, const void *payload, size_t len);
size_t h_build_icmp_echo(const struct harness *h, uint8_t *buf, uint32_t src, uint32_t dst,
			 uint16_t id, uint16_t seq, const void *payload, size_t len);
size_t h_build_tcp(const struct harness *h, uint8_t *buf, uint32_t src, uint16_t sport,
		   uint32_t dst, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		   uint16_t win, const void *payload, size_t len);
size_t h_build_arp_request(const struct harness *h, uint8_t *buf, uint32_t sip, uint32_t tip);

/* One-line scenarios. */
void h_send_udp(struct harness *h, uint32_t dst, uint16_t sport, uint16_t dport,
		const void *payload, size_t len);

/* Host-side helpers: a UDP socket bound to 127.0.0.1 on an ephemeral port. */
int h_udp_server(uint16_t *port);

/* TCP, test side: segments with options, parsed segments, a guest endpoint. */
#define H_TCP_FIN 0x01
#define H_TCP_SYN 0x02
#define H_TCP_RST 0x04
#define H_TCP_PSH 0x08
#define H_TCP_ACK 0x10

/**
 * struct htcpseg - a TCP segment slirpish sent, parsed by the test side
 * @sport:	source port
 * @dport:	destination port
 * @seq:	sequence number
 * @ack:	acknowledgement number
 * @flags:	flags byte
 * @wnd:	window field (unscaled)
 * @hlen:	header length (data offset * 4)
 * @mss:	MSS option, 0 if absent
 * @ws:		window-scale option, -1 if absent
 * @data:	payload (points into the frame)
 * @len:	payload length
 */
struct htcpseg {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint16_t wnd;
	size_t hlen;
	uint16_t mss;
	int ws;
	const uint8_t *data;
	size_t len;
};

/**
 * struct htcp - the test playing one guest TCP endpoint
 * @h:		harness
 * @gaddr:	guest address
 * @gport:	guest port
 * @raddr:	remote address (as the guest sees it)
 * @rport:	remote port
 * @snd_nxt:	next sequence number the guest sends
 * @rcv_nxt:	next sequence number expected from slirpish (what the guest acknowledges)
 * @irs:	slirpish's initial sequence number
 * @wnd:	window field the guest advertises
 * @ws:		window scale the guest offers in its SYN, -1 for none
 * @mss:	MSS the guest offers in its SYN, 0 for none
 * @peer_mss:	MSS slirpish offered
 * @peer_ws:	window scale slirpish offered, -1 if none
 * @fin_seen:	slirpish's FIN arrived (and is counted in @rcv_nxt)
 * @peer_wnd:	last window slirpish advertised, bytes (scaled)
 * @wnd_edge:	right edge of the window the guest advertised (highest so far)
 * @wnd_edge_set: @wnd_edge is valid (the guest has acknowledged slirpish's SYN)
 * @retransmits_seen: segments h_tcp_read() got again (already taken)
 */
struct htcp {
	struct harness *h;
	uint32_t gaddr;
	uint16_t gport;
	uint32_t raddr;
	uint16_t rport;
	uint32_t snd_nxt;
	uint32_t rcv_nxt;
	uint32_t irs;
	uint16_t wnd;
	int ws;
	uint16_t mss;
	uint16_t peer_mss;
	int peer_ws;
	int fin_seen;
	uint32_t peer_wnd;
	uint32_t wnd_edge;
	int wnd_edge_set;
	unsigned retransmits_seen;
};

size_t h_build_tcp_opt(const struct harness *h, uint8_t *buf, uint32_t src, uint16_t sport,
		       uint32_t dst, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		       uint16_t win, uint16_t mss, int ws, const void *payload, size_t len);
int h_tcp_parse(const struct hframe *f, struct htcpseg *s);
int h_tcp_recv(struct harness *h, struct hframe *f, struct htcpseg *s, unsigned timeout_ms);

void h_tcp_init(struct htcp *t, struct harness *h, uint16_t gport, uint32_t raddr,
		uint16_t rport);
void h_tcp_send_at(struct htcp *t, uint32_t seq, uint8_t flags, const void *data, size_t len);
void h_tcp_send(struct htcp *t, uint8_t flags, const void *data, size_t len);
void h_tcp_connect(struct htcp *t, struct hframe *f);
void h_tcp_expect(struct htcp *t, struct hframe *f, struct htcpseg *s, unsigned timeout_ms);
size_t h_tcp_pump(struct htcp *t, struct hframe *f, const uint8_t *src, size_t len, int hfd,
		  uint8_t *dst, size_t *dst_len, unsigned timeout_ms);
size_t h_tcp_read(struct htcp *t, struct hframe *f, void *buf, size_t want, int ack,
		  unsigned timeout_ms);

/* Host-side TCP helpers. */
int h_tcp_listener(uint16_t *port, int backlog);
int h_tcp_accept(struct harness *h, int lfd, unsigned timeout_ms);
size_t h_fd_read(struct harness *h, int fd, void *buf, size_t want, unsigned timeout_ms);
uint16_t h_free_tcp_port(void);
int h_isolate_net(void);

#endif /* TESTS_UNIT_HARNESS_H */
