/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* tap.h - open (or create) a TAP device, inside another network namespace if asked. */
#ifndef SLIRPISH_TAP_H
#define SLIRPISH_TAP_H

#include <stddef.h>

void tap_netns_path(const char *netns, char *buf, size_t size);
int tap_open(const char *ifname, const char *netns, int *vnet, unsigned *mtu,
	     const char **errmsg);

#endif /* SLIRPISH_TAP_H */
