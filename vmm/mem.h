/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* mem.h - guest physical memory: one memfd, its monitor view, host mappings. */
#ifndef VMM_MEM_H
#define VMM_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/util.h"

#define MEM_PAGE_SIZE		4096u
#define MEM_GUEST_LOW		0x1000ul	/* vm.mmap_min_addr: page 0 is never mapped */
#define MEM_GUEST_TOP		0x100000000ul	/* the guest owns [MEM_GUEST_LOW, 4 GiB) */
#define MEM_LINEAR_MAP		0xC0000000u	/* PAGE_OFFSET of a VMSPLIT_3G kernel */

/**
 * struct mem - guest RAM
 * @fd:		memfd holding the guest's physical memory (offset = gpa)
 * @ram:	the monitor's own view of all of it, above 4 GiB
 * @size:	bytes of guest RAM, a multiple of MEM_PAGE_SIZE
 * @reserved:	true once [MEM_GUEST_LOW, 4 GiB) is reserved for the guest
 * @mapped:	one bit per guest page: set while a guest mapping is there
 *		(lets invlpg of a page that was never mapped cost nothing)
 * @global:	one bit per guest page: the mapping came from a global
 *		(PTE.G under CR4.PGE) entry and survives a CR3 load
 */
struct mem {
	int fd;
	uint8_t *ram;
	uint64_t size;
	bool reserved;
	uint8_t *mapped;
	uint8_t *global;
};

struct vm;

int mem_init(struct mem *m, uint64_t size) WARN_UNUSED;
void mem_free(struct mem *m);
int mem_reserve_low(struct mem *m) WARN_UNUSED;
int mem_map(struct mem *m, uint32_t lin, uint64_t gpa, uint64_t len, int prot);
int mem_unmap(struct mem *m, uint32_t lin, uint64_t len);
int mem_map_global(struct mem *m, uint32_t lin, uint64_t gpa, uint64_t len, int prot,
		   bool global);
int mem_unmap_nonglobal(struct mem *m);
bool mem_is_mapped(const struct mem *m, uint32_t lin);
void *mem_ptr(const struct mem *m, uint64_t gpa, uint64_t len);
void *gpa_checked(struct vm *vm, uint64_t gpa, uint64_t len);
int mem_parse_size(const char *s, uint64_t *out);

#endif /* VMM_MEM_H */
