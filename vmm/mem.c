// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* mem.c - guest physical memory: a memfd, its monitor view and guest mappings.
 *
 * Theory of operation: guest RAM is one memfd; the monitor reads and writes
 * it only through @ram, its private mapping above 4 GiB, and only through
 * mem_ptr()/gpa_checked(), which refuse any range that leaves RAM.  The low
 * 4 GiB of the process belong to the guest: mem_reserve_low() fills
 * [4 KiB, 4 GiB) with one PROT_NONE reservation so no host allocation lands
 * there; guest mappings replace parts of it with MAP_FIXED views of the
 * memfd (mem_map) and are returned to PROT_NONE (mem_unmap), never
 * released, so the reservation holds for the life of the process.
 * Guest linear addresses are host addresses; the guest's page 0 cannot be
 * mapped (vm.mmap_min_addr), so mem_map() and mem_unmap() leave it out of
 * any range and the monitor emulates the rare accesses to it.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/mem.h"
#include "vmm/vm.h"

/**
 * mem_init() - create guest RAM
 * @m:		memory to initialise
 * @size:	bytes, rounded up to a page; at most 3 GiB
 *
 * Return: 0, or -errno.
 */
int mem_init(struct mem *m, uint64_t size)
{
	void *p;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	size = (size + MEM_PAGE_SIZE - 1) & ~(uint64_t)(MEM_PAGE_SIZE - 1);
	if (!size || size > 0xC0000000ull)
		return -EINVAL;
	m->fd = memfd_create("ulvm-ram", MFD_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	if (ftruncate(m->fd, (off_t)size))
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	m->ram = p;
	m->size = size;
	return 0;
fail:
	{
		int e = -errno;

		close(m->fd);
		m->fd = -1;
		return e;
	}
}

/**
 * mem_free() - release guest RAM and the low reservation
 * @m:		memory, initialised or zeroed (fd -1 or 0 both accepted)
 */
void mem_free(struct mem *m)
{
	if (m->reserved)
		munmap((void *)MEM_GUEST_LOW, MEM_GUEST_TOP - MEM_GUEST_LOW);
	m->reserved = false;
	if (m->ram)
		munmap(m->ram, m->size);
	m->ram = NULL;
	if (m->fd > 0)
		close(m->fd);
	m->fd = -1;
}

/**
 * mem_reserve_low() - reserve [4 KiB, 4 GiB) for the guest
 * @m:		guest memory
 *
 * Return: 0, or -errno (-EEXIST when something already lives there).
 */
int mem_reserve_low(struct mem *m)
{
	void *p = mmap((void *)MEM_GUEST_LOW, MEM_GUEST_TOP - MEM_GUEST_LOW,
		       PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		       MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if (p != (void *)MEM_GUEST_LOW) {	/* kernels before 4.17 */
		munmap(p, MEM_GUEST_TOP - MEM_GUEST_LOW);
		return -EEXIST;
	}
	m->reserved = true;
	return 0;
}

/* Host range of a guest linear range, without page 0: false if empty. */
static bool mem_host_range(uint32_t lin, uint64_t len, uint64_t *start, uint64_t *end)
{
	*start = lin < MEM_GUEST_LOW ? MEM_GUEST_LOW : lin;
	*end = (uint64_t)lin + len;
	if (*end > MEM_GUEST_TOP)
		*end = MEM_GUEST_TOP;
	return *start < *end;
}

/**
 * mem_map() - map guest RAM at a guest linear address
 * @m:		guest memory
 * @lin:	page-aligned guest linear address
 * @gpa:	page-aligned guest physical address
 * @len:	bytes, page multiple, at most 4 GiB - @lin
 * @prot:	PROT_* bits
 *
 * Return: 0, or -errno (-EFAULT when the range leaves RAM or the guest area).
 */
int mem_map(struct mem *m, uint32_t lin, uint64_t gpa, uint64_t len, int prot)
{
	uint64_t start, end;
	void *p;

	if (!m->reserved || (lin | gpa | len) & (MEM_PAGE_SIZE - 1) ||
	    len > MEM_GUEST_TOP - lin || !mem_ptr(m, gpa, len))
		return -EFAULT;
	if (!mem_host_range(lin, len, &start, &end))
		return 0;
	p = mmap((void *)(uintptr_t)start, end - start, prot, MAP_SHARED | MAP_FIXED,
		 m->fd, (off_t)(gpa + (start - lin)));
	return p == MAP_FAILED ? -errno : 0;
}

/**
 * mem_unmap() - return a guest linear range to the PROT_NONE reservation
 * @m:		guest memory
 * @lin:	page-aligned guest linear address
 * @len:	bytes, page multiple
 *
 * Return: 0, or -errno.
 */
int mem_unmap(struct mem *m, uint32_t lin, uint64_t len)
{
	uint64_t start, end;
	void *p;

	if (!m->reserved)
		return -EFAULT;
	if (!mem_host_range(lin, len, &start, &end))
		return 0;
	p = mmap((void *)(uintptr_t)start, end - start, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	return p == MAP_FAILED ? -errno : 0;
}

/**
 * mem_ptr() - the monitor's pointer to a guest physical range
 * @m:		guest memory
 * @gpa:	guest physical address
 * @len:	bytes that will be accessed
 *
 * Return: pointer, or NULL when [gpa, gpa+len) is not entirely in RAM.
 */
void *mem_ptr(const struct mem *m, uint64_t gpa, uint64_t len)
{
	if (!m->ram || len > m->size || gpa > m->size - len)
		return NULL;
	return m->ram + gpa;
}

/**
 * gpa_checked() - bounds-checked access to guest physical memory
 * @vm:		virtual machine
 * @gpa:	guest physical address
 * @len:	bytes that will be accessed
 *
 * Return: pointer into the monitor's view of RAM, or NULL if out of range.
 */
void *gpa_checked(struct vm *vm, uint64_t gpa, uint64_t len)
{
	return mem_ptr(&vm->mem, gpa, len);
}

/**
 * mem_parse_size() - parse "256M", "1G", "65536K" or a byte count
 * @s:		text
 * @out:	bytes
 *
 * Return: 0, or -EINVAL on bad syntax or overflow.
 */
int mem_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end || (shift && v > (~0ull >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}
