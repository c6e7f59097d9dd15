// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* io.c - the port I/O table: devices register ranges, accesses are dispatched.
 *
 * Theory of operation: a small unordered table of non-overlapping ranges
 * (there are a dozen devices).  io_register() refuses overlaps; an access to
 * a port nobody claims reads as all ones and writes are dropped, as on a PC
 * bus, and is counted in @unclaimed.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include "vmm/io.h"

/**
 * io_register() - claim a port range for a device
 * @io:		port table
 * @base:	first port
 * @count:	number of ports, at least 1
 * @fn:		handler
 * @opaque:	device passed back to @fn
 * @name:	device name
 *
 * Return: 0, -EBUSY when the range overlaps another, -ENOSPC, -EINVAL.
 */
int io_register(struct io *io, uint16_t base, uint16_t count, io_handler_fn fn,
		void *opaque, const char *name)
{
	unsigned int i;

	if (!count || !fn || (uint32_t)base + count > 0x10000)
		return -EINVAL;
	for (i = 0; i < io->n; i++) {
		const struct io_range *r = &io->r[i];

		if (base < r->base + r->count && r->base < base + count)
			return -EBUSY;
	}
	if (io->n == IO_MAX_RANGES)
		return -ENOSPC;
	io->r[io->n++] = (struct io_range){ base, count, fn, opaque, name };
	return 0;
}

/**
 * io_access() - perform one port access on behalf of the guest
 * @io:		port table
 * @cpu:	vCPU
 * @port:	port
 * @val:	value read (out) or written (in), in the low @len bytes
 * @len:	1, 2 or 4
 * @is_write:	direction
 *
 * Return: 0, -ENOENT when no device claims the port (reads give all ones),
 * or the handler's -errno.
 */
int io_access(struct io *io, struct cpu *cpu, uint16_t port, uint32_t *val,
	      unsigned int len, bool is_write)
{
	uint8_t b[4] = { 0 };
	unsigned int i;
	int rc;

	if (len != 1 && len != 2 && len != 4)
		return -EINVAL;
	for (i = 0; i < io->n; i++) {
		const struct io_range *r = &io->r[i];

		if (port < r->base || port >= r->base + r->count)
			continue;
		if (is_write) {
			uint32_t v = len == 4 ? *val : *val & ((1u << (8 * len)) - 1);

			b[0] = (uint8_t)v;
			b[1] = (uint8_t)(v >> 8);
			b[2] = (uint8_t)(v >> 16);
			b[3] = (uint8_t)(v >> 24);
		} else {
			memset(b, 0xff, sizeof(b));
		}
		rc = r->fn(cpu, port, b, len, is_write, r->opaque);
		if (!is_write) {
			uint32_t v = b[0] | (uint32_t)b[1] << 8 |
				     (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;

			*val = len == 4 ? v : v & ((1u << (8 * len)) - 1);
		}
		return rc;
	}
	io->unclaimed++;
	if (!is_write)
		*val = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
	return -ENOENT;
}
