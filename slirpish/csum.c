// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* csum.c - the Internet checksum (RFC 1071) and the IPv4 pseudo-header sum. */

#include "config.h"

#include <string.h>

#include "slirpish/csum.h"

/**
 * csum_partial() - add 16-bit big-endian words of a buffer to a running sum
 * @buf:	bytes (any alignment)
 * @len:	length; an odd last byte is padded with zero
 * @sum:	running 32-bit sum (unfolded)
 *
 * Return: the new unfolded sum.  Sums of even-length pieces can be chained.
 */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	/* Eight bytes at a time: one's-complement addition is associative,
	 * so sum big-endian 32-bit words and fold at the end. */
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		w = __builtin_bswap64(w);
		acc += (w >> 32) + (w & 0xffffffffu);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		acc += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)(p[0] << 8);
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

/**
 * csum_fold() - fold a running sum into the final 16-bit checksum
 * @sum:	unfolded sum
 *
 * Return: the one's-complement checksum, in host order.
 */
uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * csum_ip4_pseudo() - sum of the IPv4 pseudo header
 * @src:	source address, host order
 * @dst:	destination address, host order
 * @proto:	IP protocol number
 * @len:	length of the layer-4 header and payload
 *
 * Return: the unfolded sum.
 */
uint32_t csum_ip4_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	       proto + len;
}

/**
 * csum_l4() - checksum of a TCP/UDP/ICMP segment with the IPv4 pseudo header
 * @src:	source address, host order
 * @dst:	destination address, host order
 * @proto:	IP protocol number (use 0-free sum for ICMP: pass proto 0 and no pseudo)
 * @l4:		segment, with its checksum field zero (or in place, to verify)
 * @len:	segment length
 *
 * Return: the checksum in host order (0 when verifying a correct segment).
 */
uint16_t csum_l4(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, size_t len)
{
	return csum_fold(csum_partial(l4, len, csum_ip4_pseudo(src, dst, proto, (uint16_t)len)));
}
