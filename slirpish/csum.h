/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* csum.h - the Internet checksum (RFC 1071) and the IPv4 pseudo-header sum. */
#ifndef SLIRPISH_CSUM_H
#define SLIRPISH_CSUM_H

#include <stddef.h>
#include <stdint.h>

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);
uint16_t csum_fold(uint32_t sum);
uint32_t csum_ip4_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
uint16_t csum_l4(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, size_t len);

#endif /* SLIRPISH_CSUM_H */
