/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* tcp.h - TCP relay between a guest's TCP stack and host sockets, without a buffer of its own. */
#ifndef SLIRPISH_TCP_H
#define SLIRPISH_TCP_H

#include <stdint.h>
#include <sys/uio.h>

#include "slirpish/flow.h"
#include "slirpish/guest.h"
#include "slirpish/ip4.h"

#define TCP_BATCH_IOV 64

/**
 * struct tcp_batch - in-order guest payload of one connection, not yet written
 * @conn:	connection, or NULL when the batch is empty
 * @seq_end:	sequence number after the batched bytes
 * @fin:	a FIN follows the batched bytes
 * @n:		iovecs used
 * @bytes:	bytes batched
 * @iov:	the payload, pointing into the guest link's input buffer
 */
struct tcp_batch {
	struct tcp_conn *conn;
	uint32_t seq_end;
	int fin;
	int n;
	size_t bytes;
	struct iovec iov[TCP_BATCH_IOV];
};

int tcp_init(struct ctx *c) __must_check;
void tcp_fini(struct ctx *c);
void tcp_batch_flush(struct ctx *c);
void tcp_input(struct guest *g, const struct ip4_hdr *ip);
void tcp_flow_close(struct ctx *c, struct flow_common *f);
void tcp_flow_dump(const struct flow_common *f, FILE *out);
int tcp_map_accept(struct ctx *c, int fd, uint16_t guest_port);
void tcp_guest_writable(struct guest *g);
void tcp_flush_acks(struct ctx *c);

#endif /* SLIRPISH_TCP_H */
