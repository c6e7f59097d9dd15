/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* tcp.h - TCP relay between a guest's TCP stack and host sockets, without a buffer of its own. */
#ifndef SLIRPISH_TCP_H
#define SLIRPISH_TCP_H

#include <stdint.h>

#include "slirpish/flow.h"
#include "slirpish/guest.h"
#include "slirpish/ip4.h"

void tcp_input(struct guest *g, const struct ip4_hdr *ip);
void tcp_flow_close(struct ctx *c, struct flow_common *f);
int tcp_map_accept(struct ctx *c, int fd, uint16_t guest_port);
void tcp_guest_writable(struct guest *g);
void tcp_flush_acks(struct ctx *c);

#endif /* SLIRPISH_TCP_H */
