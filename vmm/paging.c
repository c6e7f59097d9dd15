// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* paging.c - guest page tables and the host mappings that follow them.
 *
 * Theory of operation: the guest's linear address space is the process's
 * own low 4 GiB.  With paging off, linear = physical and RAM is mapped
 * identically (from 4 KiB: page 0 cannot be mapped by an unprivileged
 * process).  With paging on, the host mappings are a cache of the guest's
 * page tables filled on demand: every host page fault in the guest area is
 * resolved by a walk of the guest's 2-level tables (4 KiB pages, and 4 MiB
 * pages under CR4.PSE); an allowed access maps the page (or the whole 4 MiB
 * page) from the RAM memfd, a refused one becomes a #PF for the guest.  The
 * walk sets the accessed bit, and the dirty bit on a write; a page whose
 * dirty bit is clear is mapped read-only, so its first write faults and sets
 * it.  The cache is dropped as the TLB would be: all of it on a CR3 load or
 * a change of CR0.PG/WP or CR4.PSE/PGE (paging_reset), one page on invlpg.
 * User/supervisor protection is checked on the walk only: guest user and
 * kernel code share one host address space (see notes on isolation).
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm/paging.h"
#include "vmm/vm.h"

#define PG_4M	0x400000u
#define PTE_G	0x100u

/**
 * struct paging_walk - result of a walk
 * @gpa:	physical address of the linear address walked
 * @big:	it lies in a 4 MiB page
 * @writable:	the host may map it writable (RW and already dirty)
 * @global:	global entry (G under CR4.PGE): survives CR3 loads
 */
struct paging_walk {
	uint64_t gpa;
	bool big, writable, global;
};

static bool paging_on(const struct cpu *c)
{
	return (c->cr0 & (CR0_PG | CR0_PE)) == (CR0_PG | CR0_PE);
}

static int paging_fault(struct vm *vm, uint32_t lin, uint32_t err)
{
	vm->cpu.pf_addr = lin;
	return EXC(VEC_PF, err);
}

/* Walk the guest tables for @lin; 0, EXC(#PF) or -ERANGE (tables not in RAM). */
static int paging_walk(struct vm *vm, uint32_t lin, unsigned int acc,
		       struct paging_walk *w)
{
	const struct cpu *c = &vm->cpu;
	uint32_t err = ((acc & PG_USER) ? 4 : 0) | ((acc & PG_WRITE) ? 2 : 0);
	uint32_t *pde, *pte = NULL, perm, *leaf;

	memset(w, 0, sizeof(*w));
	if (!paging_on(c)) {
		w->gpa = lin;
		w->writable = true;
		return 0;
	}
	pde = gpa_checked(vm, (c->cr3 & ~0xfffu) + (lin >> 22) * 4, 4);
	if (!pde)
		return -ERANGE;
	if (!(*pde & PTE_P))
		return paging_fault(vm, lin, err);
	if ((*pde & PTE_PS) && (c->cr4 & CR4_PSE)) {
		w->big = true;
		perm = *pde;
		leaf = pde;
		w->gpa = (*pde & 0xffc00000u) | (lin & 0x3fffffu);
	} else {
		pte = gpa_checked(vm, (*pde & ~0xfffu) + ((lin >> 12) & 0x3ff) * 4, 4);
		if (!pte)
			return -ERANGE;
		if (!(*pte & PTE_P))
			return paging_fault(vm, lin, err);
		perm = *pde & *pte;
		leaf = pte;
		w->gpa = (*pte & ~0xfffu) | (lin & 0xfffu);
	}
	if (acc & PG_USER) {
		if (!(perm & PTE_US) || ((acc & PG_WRITE) && !(perm & PTE_RW)))
			return paging_fault(vm, lin, err | 1);
	} else if ((acc & PG_WRITE) && !(perm & PTE_RW) && (c->cr0 & CR0_WP)) {
		return paging_fault(vm, lin, err | 1);
	}
	if (!(acc & PG_NOAD)) {
		*pde |= PTE_A;
		*leaf |= PTE_A | ((acc & PG_WRITE) ? PTE_D : 0);
	}
	w->writable = (*leaf & PTE_D) && ((perm & PTE_RW) || !(c->cr0 & CR0_WP));
	w->global = (c->cr4 & CR4_PGE) && (*leaf & PTE_G);
	return 0;
}

/**
 * paging_translate() - guest linear to guest physical, as the CPU would
 * @vm:		virtual machine
 * @lin:	linear address
 * @acc:	PG_WRITE, PG_USER, PG_NOAD
 * @gpa:	physical address out
 *
 * Return: 0, EXC(#PF) with the fault address in cpu.pf_addr, or -ERANGE
 * when the tables point outside RAM.
 */
int paging_translate(struct vm *vm, uint32_t lin, unsigned int acc, uint64_t *gpa)
{
	struct paging_walk w;
	int rc = paging_walk(vm, lin, acc, &w);

	if (!rc)
		*gpa = w.gpa;
	return rc;
}

static int paging_copy(struct vm *vm, uint32_t lin, void *buf, uint32_t len,
		       unsigned int acc, bool write)
{
	uint8_t *b = buf;

	while (len) {
		uint32_t n = MEM_PAGE_SIZE - (lin & (MEM_PAGE_SIZE - 1));
		uint64_t gpa;
		uint8_t *p;
		int rc;

		if (n > len)
			n = len;
		rc = paging_translate(vm, lin, acc | (write ? PG_WRITE : 0), &gpa);
		if (rc)
			return rc;
		p = gpa_checked(vm, gpa, n);
		if (!p)
			return -ERANGE;
		if (write)
			memcpy(p, b, n);
		else
			memcpy(b, p, n);
		b += n;
		lin += n;
		len -= n;
	}
	return 0;
}

/**
 * paging_read() - read guest memory by linear address
 * @vm:		virtual machine
 * @lin:	linear address
 * @buf:	destination
 * @len:	bytes
 * @acc:	PG_USER for a user-mode access, PG_NOAD
 *
 * Return: 0, EXC(#PF), or -ERANGE.
 */
int paging_read(struct vm *vm, uint32_t lin, void *buf, uint32_t len, unsigned int acc)
{
	return paging_copy(vm, lin, buf, len, acc & ~PG_WRITE, false);
}

/**
 * paging_write() - write guest memory by linear address
 * @vm:		virtual machine
 * @lin:	linear address
 * @buf:	source
 * @len:	bytes
 * @acc:	PG_USER for a user-mode access
 *
 * Return: 0, EXC(#PF), or -ERANGE.
 */
int paging_write(struct vm *vm, uint32_t lin, const void *buf, uint32_t len, unsigned int acc)
{
	return paging_copy(vm, lin, (void *)(uintptr_t)buf, len, acc, true);
}

/**
 * paging_host_fault() - resolve a host page fault in the guest area
 * @vm:		virtual machine
 * @lin:	faulting linear address
 * @host_err:	the host's page-fault error code (bit 1: write)
 *
 * Return: 0 when a mapping was made (resume the guest), EXC(#PF) for the
 * guest, -EFAULT for an access to linear page 0 (to be emulated), -ERANGE
 * for memory outside RAM, or -errno from mmap.
 */
int paging_host_fault(struct vm *vm, uint32_t lin, uint32_t host_err)
{
	unsigned int acc = ((host_err & 2) ? PG_WRITE : 0) | (vm->cpu.cpl == 3 ? PG_USER : 0);
	struct paging_walk w;
	int prot, rc;

	rc = paging_walk(vm, lin, acc, &w);
	if (rc)
		return rc;
	if (lin < MEM_GUEST_LOW)
		return -EFAULT;			/* page 0: emulated, never mapped */
	if (vm->hc.active && lin >= ULVM_RESERVED_BASE)
		return -ERANGE;			/* never over the stub areas */
	prot = PROT_READ | PROT_EXEC | (w.writable ? PROT_WRITE : 0);
	if (w.big) {
		uint32_t l0 = lin & ~(PG_4M - 1);
		uint64_t g0 = w.gpa & ~(uint64_t)(PG_4M - 1);

		if (gpa_checked(vm, g0, PG_4M))
			return mem_map_global(&vm->mem, l0, g0, PG_4M, prot, w.global);
	}
	if (!gpa_checked(vm, w.gpa & ~(uint64_t)0xfff, MEM_PAGE_SIZE))
		return -ERANGE;
	return mem_map_global(&vm->mem, lin & ~0xfffu, w.gpa & ~(uint64_t)0xfff, MEM_PAGE_SIZE,
			      prot, w.global);
}

/**
 * paging_reset() - drop every guest mapping (CR3 load, paging mode change)
 * @vm:		virtual machine
 *
 * With paging off, RAM is mapped back identically at once.
 *
 * Return: 0, or -errno.
 */
int paging_reset(struct vm *vm)
{
	uint64_t top = vm->mem.size < MEM_LINEAR_MAP ? vm->mem.size : MEM_LINEAR_MAP;
	int rc;

	/* stub mode: the patch area and vCPU page at the top stay */
	rc = mem_unmap(&vm->mem, 0, vm->hc.active ? ULVM_RESERVED_BASE : MEM_GUEST_TOP);
	if (rc || paging_on(&vm->cpu))
		return rc;
	rc = mem_map(&vm->mem, 0, 0, top, PROT_READ | PROT_WRITE | PROT_EXEC);
	return rc ? rc : hc_map_alias(vm, top);
}

/**
 * paging_new_cr3() - a CR3 load: drop the non-global mappings
 * @vm:		virtual machine
 *
 * Return: 0, or -errno.
 */
int paging_new_cr3(struct vm *vm)
{
	if (!paging_on(&vm->cpu))
		return 0;
	return mem_unmap_nonglobal(&vm->mem);
}

/**
 * paging_invlpg() - drop the mapping of one page
 * @vm:		virtual machine
 * @lin:	any address in the page
 *
 * Return: 0, or -errno.
 */
int paging_invlpg(struct vm *vm, uint32_t lin)
{
	if (!paging_on(&vm->cpu) || !mem_is_mapped(&vm->mem, lin))
		return 0;		/* nothing cached for this page */
	return mem_unmap(&vm->mem, lin & ~0xfffu, MEM_PAGE_SIZE);
}
