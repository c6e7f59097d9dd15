/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* io.h - the device table: one handler signature for every port range. */
#ifndef VMM_IO_H
#define VMM_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/util.h"

struct cpu;

/**
 * typedef io_handler_fn - a device's access handler
 * @cpu:	the vCPU doing the access (NULL from unit tests)
 * @port:	port number (or physical address for MMIO)
 * @data:	little-endian bytes: read into on a read, taken on a write
 * @len:	1, 2 or 4
 * @is_write:	direction
 * @opaque:	the device, as registered
 *
 * Return: 0, or -errno (the access is then counted as failed and ignored).
 */
typedef int (*io_handler_fn)(struct cpu *cpu, uint64_t port, uint8_t *data,
			     unsigned int len, bool is_write, void *opaque);

#define IO_MAX_RANGES	32

/**
 * struct io_range - one registered port range
 * @base:	first port
 * @count:	number of ports
 * @fn:		handler
 * @opaque:	handler's device
 * @name:	device name for traces
 */
struct io_range {
	uint16_t base;
	uint16_t count;
	io_handler_fn fn;
	void *opaque;
	const char *name;
};

/**
 * struct io - the port table
 * @r:		ranges, unordered, never overlapping
 * @n:		used entries of @r
 * @unclaimed:	accesses to ports no device claims (read as all ones)
 */
struct io {
	struct io_range r[IO_MAX_RANGES];
	unsigned int n;
	uint64_t unclaimed;
};

int io_register(struct io *io, uint16_t base, uint16_t count, io_handler_fn fn,
		void *opaque, const char *name) WARN_UNUSED;
int io_access(struct io *io, struct cpu *cpu, uint16_t port, uint32_t *val,
	      unsigned int len, bool is_write);

#endif /* VMM_IO_H */
