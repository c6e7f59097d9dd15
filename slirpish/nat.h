/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* nat.h - where a guest-visible destination leads on the host, and back. */
#ifndef SLIRPISH_NAT_H
#define SLIRPISH_NAT_H

#include <stdint.h>
#include <netinet/in.h>

#include "slirpish/ctx.h"

int nat_to_host(const struct ctx *c, uint8_t proto, uint32_t daddr, uint16_t dport,
		struct sockaddr_in *sa);
int nat_is_local(const struct ctx *c, uint32_t addr);

#endif /* SLIRPISH_NAT_H */
