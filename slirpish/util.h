/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* util.h - small helpers shared by every slirpish file: container_of, ASSERT, byte order. */
#ifndef SLIRPISH_UTIL_H
#define SLIRPISH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define __must_check __attribute__((warn_unused_result))

/* ASSERT() stays on in release builds: a broken invariant is a bug. */
#define ASSERT(expr)                                                        \
	do {                                                                \
		if (unlikely(!(expr))) {                                    \
			fprintf(stderr, "%s:%d: %s: assertion '%s' failed\n", \
				__FILE__, __LINE__, __func__, #expr);       \
			abort();                                            \
		}                                                           \
	} while (0)

/* Unaligned big-endian loads and stores: wire formats are never aligned. */
static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Sequence-number comparisons modulo 2^32 (TCP). */
static inline int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

int fd_set_nonblock(int fd);

#endif /* SLIRPISH_UTIL_H */
