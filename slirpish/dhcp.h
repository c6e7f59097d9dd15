/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* dhcp.h - the DHCP server: one lease per guest link, QEMU's defaults. */
#ifndef SLIRPISH_DHCP_H
#define SLIRPISH_DHCP_H

#include <stdint.h>

#include "slirpish/guest.h"
#include "slirpish/ip4.h"
#include "slirpish/pkt.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

/* Message types (option 53). */
enum dhcp_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

/**
 * struct dhcp_msg - the fields of a client message slirpish acts on
 * @xid:	transaction id
 * @flags:	BOOTP flags (broadcast bit)
 * @chaddr:	client hardware address
 * @ciaddr:	client address field, host order
 * @type:	option 53, enum dhcp_type
 * @req_addr:	option 50 (requested address), host order, 0 if absent
 * @server_id:	option 54, host order, 0 if absent
 */
struct dhcp_msg {
	uint32_t xid;
	uint16_t flags;
	uint8_t chaddr[6];
	uint32_t ciaddr;
	uint8_t type;
	uint32_t req_addr;
	uint32_t server_id;
};

int dhcp_parse(const struct pkt *p, struct dhcp_msg *m);
size_t dhcp_build_reply(const struct conf *conf, const struct dhcp_msg *req, uint8_t type,
			uint8_t *buf, size_t size);
void dhcp_input(struct guest *g, const struct ip4_hdr *ip, const struct pkt *payload);

#endif /* SLIRPISH_DHCP_H */
