/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* stats.h - the daemon's counters: what crossed the guest links and what was dropped, and why. */
#ifndef SLIRPISH_STATS_H
#define SLIRPISH_STATS_H

#include <stdint.h>
#include <stdio.h>

/* X-macro: the enum and its name table cannot drift apart. */
#define STATS_LIST(X)                                                     \
	X(RX_FRAMES, "frames received from guests")                         \
	X(RX_BYTES, "bytes received from guests")                           \
	X(TX_FRAMES, "frames sent to guests")                               \
	X(TX_BYTES, "bytes sent to guests")                                 \
	X(TX_DROPPED, "frames to guests dropped: link buffer full")         \
	X(BAD_FRAME_LEN, "frames dropped: bad length prefix or size")       \
	X(BAD_ETH, "frames dropped: truncated Ethernet header")             \
	X(BAD_ETHERTYPE, "frames dropped: unknown ethertype")               \
	X(BAD_ARP, "frames dropped: malformed ARP")                         \
	X(BAD_IP, "frames dropped: malformed IPv4 header")                  \
	X(BAD_IP_CSUM, "frames dropped: bad IPv4 header checksum")          \
	X(IP_FRAGMENT, "frames dropped: IPv4 fragments")                    \
	X(BAD_PROTO, "frames dropped: unknown IP protocol")                 \
	X(BAD_L4, "frames dropped: truncated or malformed TCP/UDP/ICMP")    \
	X(BAD_L4_CSUM, "frames dropped: bad TCP/UDP/ICMP checksum")         \
	X(BAD_DEST, "frames dropped: destination not reachable")            \
	X(BAD_DHCP, "frames dropped: malformed DHCP")                       \
	X(BAD_DNS, "frames dropped: malformed DNS query")                   \
	X(FLOW_TABLE_FULL, "flows refused: flow table full")                \
	X(ARP_REPLIES, "ARP replies sent")                                  \
	X(DHCP_REPLIES, "DHCP replies sent")                                \
	X(DNS_QUERIES, "DNS queries forwarded")                             \
	X(TCP_OPENED, "TCP connections opened")                             \
	X(TCP_REFUSED, "TCP connections refused by the host")               \
	X(TCP_RESETS, "TCP resets sent to guests")                          \
	X(TCP_RETRANSMITS, "TCP segments retransmitted to guests")          \
	X(TCP_OUT_OF_ORDER, "TCP segments from guests dropped: out of order")\
	X(TCP_SHORT_WRITES, "TCP writes to host sockets cut short (full)")  \
	X(TCP_PORTMAP_ACCEPTED, "TCP connections accepted on port maps")    \
	X(UDP_FLOWS, "UDP flows opened")                                    \
	X(ICMP_ECHOS, "ICMP echo requests relayed or answered")             \
	X(GUESTS_CONNECTED, "guest links connected")                        \
	X(GUESTS_DISCONNECTED, "guest links disconnected")

enum stat_id {
#define STATS_ENUM(id, desc) STAT_##id,
	STATS_LIST(STATS_ENUM)
#undef STATS_ENUM
	STAT_COUNT
};

/**
 * struct stats - counters indexed by enum stat_id
 * @v:		one 64-bit counter each
 */
struct stats {
	uint64_t v[STAT_COUNT];
};

#define STAT_INC(s, id) ((s)->v[STAT_##id]++)
#define STAT_ADD(s, id, n) ((s)->v[STAT_##id] += (n))

const char *stats_name(enum stat_id id);
const char *stats_desc(enum stat_id id);
void stats_print(const struct stats *s, FILE *out);

#endif /* SLIRPISH_STATS_H */
