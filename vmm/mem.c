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
	m->mapped = calloc(1, MEM_GUEST_TOP / MEM_PAGE_SIZE / 8);
	m->global = calloc(1, MEM_GUEST_TOP / MEM_PAGE_SIZE / 8);
	if (!m->mapped || !m->global) {
		free(m->mapped);
		free(m->global);
		m->mapped = m->global = NULL;
		munmap(m->ram, m->size);
		m->ram = NULL;
		errno = ENOMEM;
		goto fail;
	}
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
	free(m->mapped);
	free(m->global);
	m->mapped = m->global = NULL;
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

/* Mark [start, end) (host addresses below 4 GiB) mapped or not, global or not. */
static void mem_mark(struct mem *m, uint64_t start, uint64_t end, bool on, bool global)
{
	uint64_t pg = start / MEM_PAGE_SIZE, last = end / MEM_PAGE_SIZE;

	if (!m->mapped)
		return;
	if (!on && start <= MEM_GUEST_LOW && end >= MEM_GUEST_TOP) {
		memset(m->mapped, 0, MEM_GUEST_TOP / MEM_PAGE_SIZE / 8);
		memset(m->global, 0, MEM_GUEST_TOP / MEM_PAGE_SIZE / 8);
		return;
	}
	for (; pg < last; pg++) {
		uint8_t bit = (uint8_t)(1u << (pg % 8));

		if (on)
			m->mapped[pg / 8] |= bit;
		else
			m->mapped[pg / 8] &= (uint8_t)~bit;
		if (on && global)
			m->global[pg / 8] |= bit;
		else
			m->global[pg / 8] &= (uint8_t)~bit;
	}
}

/**
 * mem_is_mapped() - is a guest mapping in place at this page?
 * @m:		guest memory
 * @lin:	linear address
 *
 * Return: true if the page may be mapped (always true without the bitmap).
 */
bool mem_is_mapped(const struct mem *m, uint32_t lin)
{
	uint32_t pg = lin / MEM_PAGE_SIZE;

	return !m->mapped || (m->mapped[pg / 8] & (1u << (pg % 8)));
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
	if (p == MAP_FAILED)
		return -errno;
	mem_mark(m, start, end, true, false);
	return 0;
}

/**
 * mem_map_global() - mem_map(), recording whether the mapping is global
 * @m:		guest memory
 * @lin:	page-aligned guest linear address
 * @gpa:	page-aligned guest physical address
 * @len:	bytes
 * @prot:	PROT_* bits
 * @global:	the guest entry is global: keep it across CR3 loads
 *
 * Return: as mem_map().
 */
int mem_map_global(struct mem *m, uint32_t lin, uint64_t gpa, uint64_t len, int prot,
		   bool global)
{
	uint64_t start, end;
	int rc = mem_map(m, lin, gpa, len, prot);

	if (!rc && global && mem_host_range(lin, len, &start, &end))
		mem_mark(m, start, end, true, true);
	return rc;
}

/**
 * mem_unmap_nonglobal() - drop every guest mapping but the global ones
 * @m:		guest memory
 *
 * What a CR3 load does to the TLB.  Runs of non-global pages are found
 * 64 pages at a time in the bitmaps and unmapped one run per call.
 *
 * Return: 0, or -errno.
 */
int mem_unmap_nonglobal(struct mem *m)
{
	const uint64_t words = MEM_GUEST_TOP / MEM_PAGE_SIZE / 64;
	uint64_t w, run_start = 0;
	bool in_run = false;
	int rc;

	if (!m->mapped)
		return mem_unmap(m, 0, MEM_GUEST_TOP);
	for (w = 0; w <= words; w++) {
		uint64_t bits = 0, mw, gw;
		unsigned int b;

		if (w < words) {
			memcpy(&mw, m->mapped + w * 8, 8);
			memcpy(&gw, m->global + w * 8, 8);
			bits = mw & ~gw;
		}
		if (!in_run && !bits)
			continue;
		if (in_run && bits == ~0ull)
			continue;
		for (b = 0; b < 64; b++) {
			bool drop = w < words && (bits >> b & 1);
			uint64_t pg = w * 64 + b;

			if (drop && !in_run) {
				run_start = pg;
				in_run = true;
			} else if (!drop && in_run) {
				rc = mem_unmap(m, (uint32_t)(run_start * MEM_PAGE_SIZE),
					       (pg - run_start) * MEM_PAGE_SIZE);
				if (rc)
					return rc;
				in_run = false;
			}
			if (w == words)
				break;
		}
	}
	return 0;
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
	if (p == MAP_FAILED)
		return -errno;
	mem_mark(m, start, end, false, false);
	return 0;
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
