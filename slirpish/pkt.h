/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* pkt.h - bounds-checked views of untrusted bytes: nothing indexes a frame unchecked. */
#ifndef SLIRPISH_PKT_H
#define SLIRPISH_PKT_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct pkt - a read-only window over untrusted bytes
 * @data:	first byte
 * @len:	number of valid bytes at @data
 */
struct pkt {
	const uint8_t *data;
	size_t len;
};

/**
 * pkt_get() - get a pointer to @len bytes at @off, if they are all inside
 * @p:		window
 * @off:	offset from the start of the window
 * @len:	number of bytes the caller will read
 *
 * Return: pointer to the bytes, or NULL when [off, off+len) leaves the window.
 */
static inline const uint8_t *pkt_get(const struct pkt *p, size_t off, size_t len)
{
	if (off > p->len || len > p->len - off)
		return NULL;
	return p->data + off;
}

/**
 * pkt_sub() - narrow a window to [off, off+len)
 * @p:		window
 * @off:	offset of the sub-window
 * @len:	length of the sub-window
 * @out:	the sub-window, set only on success
 *
 * Return: 0, or -1 when the sub-window would leave @p.
 */
static inline int pkt_sub(const struct pkt *p, size_t off, size_t len, struct pkt *out)
{
	const uint8_t *d = pkt_get(p, off, len);

	if (!d)
		return -1;
	out->data = d;
	out->len = len;
	return 0;
}

#endif /* SLIRPISH_PKT_H */
