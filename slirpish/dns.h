/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* dns.h - the virtual DNS server: queries to it are forwarded to the host's resolvers. */
#ifndef SLIRPISH_DNS_H
#define SLIRPISH_DNS_H

#include <stdint.h>

#include "slirpish/pkt.h"

#define DNS_PORT 53

int dns_query_check(const struct pkt *p);
int dns_resolvers_load(const char *path, uint32_t *out, unsigned max);

#endif /* SLIRPISH_DNS_H */
