/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* arp.h - ARP: answer for every virtual address on the guest's network. */
#ifndef SLIRPISH_ARP_H
#define SLIRPISH_ARP_H

#include "slirpish/guest.h"
#include "slirpish/pkt.h"

void arp_input(struct guest *g, const struct pkt *p);

#endif /* SLIRPISH_ARP_H */
