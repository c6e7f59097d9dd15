/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* paging.h - guest page tables: walks, A/D bits, host mappings kept in step. */
#ifndef VMM_PAGING_H
#define VMM_PAGING_H

#include <stdint.h>

/* Access kinds for paging_translate(). */
#define PG_WRITE	0x1u
#define PG_USER		0x2u
#define PG_NOAD		0x4u	/* do not set accessed/dirty bits */

/* Guest page-table entry bits (2-level, non-PAE). */
#define PTE_P		0x001u
#define PTE_RW		0x002u
#define PTE_US		0x004u
#define PTE_A		0x020u
#define PTE_D		0x040u
#define PTE_PS		0x080u

/* Guest exceptions are returned as positive codes (negative ones are host
 * errors): vector in bits 16-23, error code in bits 0-15. */
#define EXC(v, e)	(0x40000000 | ((int)(v) & 0xff) << 16 | ((int)(e) & 0xffff))
#define EXC_VEC(x)	(((unsigned int)(x) >> 16) & 0xffu)
#define EXC_ERR(x)	((uint32_t)(x) & 0xffffu)
#define VEC_DE	0
#define VEC_DB	1
#define VEC_BP	3
#define VEC_UD	6
#define VEC_DF	8
#define VEC_TS	10
#define VEC_NP	11
#define VEC_SS	12
#define VEC_GP	13
#define VEC_PF	14

struct vm;

int paging_translate(struct vm *vm, uint32_t lin, unsigned int acc, uint64_t *gpa);
int paging_read(struct vm *vm, uint32_t lin, void *buf, uint32_t len, unsigned int acc);
int paging_write(struct vm *vm, uint32_t lin, const void *buf, uint32_t len, unsigned int acc);
int paging_host_fault(struct vm *vm, uint32_t lin, uint32_t host_err);
int paging_reset(struct vm *vm);
int paging_new_cr3(struct vm *vm);
int paging_invlpg(struct vm *vm, uint32_t lin);

#endif /* VMM_PAGING_H */
