/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* cpu.h - the virtual CPU: guest-visible state the host CPU does not hold. */
#ifndef VMM_CPU_H
#define VMM_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/ucontext.h>

#include "vmm/util.h"

/* Segment registers in the x86 encoding order. */
enum cpu_sreg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_NR };

#define CR0_PE		0x00000001u
#define CR0_TS		0x00000008u
#define CR0_ET		0x00000010u
#define CR0_WP		0x00010000u
#define CR0_PG		0x80000000u
#define CR4_PSE		0x00000010u
#define CR4_PGE		0x00000080u

#define FL_CF		0x0001u
#define FL_TF		0x0100u
#define FL_IF		0x0200u
#define FL_DF		0x0400u
#define FL_IOPL		0x3000u
#define FL_NT		0x4000u
#define FL_AC		0x40000u
#define FL_ID		0x200000u
/* Flags the host CPU holds for the guest; the others are virtual. */
#define FL_HOST		0x0cd5u		/* CF PF AF ZF SF DF OF */
#define FL_VIRT		(FL_TF | FL_IF | FL_IOPL | FL_NT | FL_AC | FL_ID)

/* Host LDT: slot 0 flat 32-bit code, slot 1 flat data, others on demand. */
#define CPU_LDT_SLOTS	32
#define CPU_SEL_CODE	0x07
#define CPU_SEL_DATA	0x0f
#define CPU_HOST_SEL(slot)	((uint16_t)((slot) << 3 | 7))

/**
 * struct cpu_seg - one segment register as the guest sees it
 * @sel:	guest selector (what the guest loaded and will read back)
 * @host:	host selector standing in for it
 * @base:	descriptor base
 * @limit:	byte-granular limit
 * @attr:	access byte (bits 0-7) and flags nibble (bits 12-15)
 */
struct cpu_seg {
	uint16_t sel, host;
	uint32_t base, limit;
	uint16_t attr;
};

/**
 * struct cpu_dtr - GDTR/IDTR
 * @base:	linear base
 * @limit:	byte limit
 */
struct cpu_dtr {
	uint32_t base;
	uint16_t limit;
};

/**
 * struct cpu_ldt_slot - one host LDT entry made for the guest
 * @base:	segment base
 * @limit:	byte-granular limit
 * @code:	a 32-bit code segment (else data)
 * @used:	slot allocated
 */
struct cpu_ldt_slot {
	uint32_t base, limit;
	bool code, used;
};

struct vm;

/**
 * struct cpu - the one vCPU
 * @vm:		owning machine
 * @gr:		general registers, RIP, EFLAGS, CS/SS of the guest: the
 *		ucontext of the current trap, or @regs outside traps
 * @uc:		ucontext of the current trap, NULL outside
 * @regs:	register file before the first entry
 * @seg:	segment registers
 * @gdtr, @idtr: descriptor table registers
 * @ldtr:	LDT selector (the guest LDT itself is not supported yet)
 * @tr:		task register selector
 * @tr_base, @tr_limit: the TSS it selects
 * @cr0, @cr2, @cr3, @cr4: control registers
 * @dr:		debug registers (stored, no effect)
 * @vflags:	the virtual flags (FL_VIRT bits) of the guest's EFLAGS
 * @cpl:	current privilege level of the guest (0 or 3)
 * @ldt:	host LDT slots
 * @ldt_next:	where the search for a slot to reuse starts when all are taken
 * @msr_sysenter: stored SYSENTER MSRs (sysenter itself is hidden)
 * @msr_pat:	stored PAT MSR
 * @pf_addr:	linear address of the last page fault found, CR2 once delivered
 */
struct cpu {
	struct vm *vm;
	greg_t *gr;
	ucontext_t *uc;
	greg_t regs[NGREG];
	struct cpu_seg seg[SEG_NR];
	struct cpu_dtr gdtr, idtr;
	uint16_t ldtr, tr;
	uint32_t tr_base, tr_limit;
	uint32_t cr0, cr2, cr3, cr4;
	uint32_t dr[8];
	uint32_t vflags;
	int cpl;
	struct cpu_ldt_slot ldt[CPU_LDT_SLOTS];
	unsigned int ldt_next;
	uint64_t msr_sysenter[3];
	uint64_t msr_pat;
	uint32_t pf_addr;
};

/**
 * struct cpu_desc - a decoded segment descriptor
 * @base:	base
 * @limit:	byte-granular limit
 * @type:	type nibble (bit 3 code, bit 1 readable/writable)
 * @s:		code/data (1) or system (0) descriptor
 * @dpl:	privilege level
 * @p:		present
 * @db:		default operand size 32
 */
struct cpu_desc {
	uint32_t base, limit;
	uint8_t type, dpl;
	bool s, p, db;
};

int cpu_init(struct cpu *cpu, struct vm *vm) WARN_UNUSED;
void cpu_desc_decode(const uint8_t raw[8], struct cpu_desc *d);
uint32_t cpu_get_eflags(const struct cpu *cpu);
void cpu_set_eflags(struct cpu *cpu, uint32_t v);
uint32_t cpu_get_reg(const struct cpu *cpu, int x86_reg, unsigned int *size);
int cpu_set_reg(struct cpu *cpu, int x86_reg, uint32_t v);
uint32_t cpu_gpr(const struct cpu *cpu, int n);
void cpu_set_gpr(struct cpu *cpu, int n, uint32_t v);
uint32_t cpu_eip(const struct cpu *cpu);
void cpu_set_eip(struct cpu *cpu, uint32_t eip);
int cpu_host_sel(struct cpu *cpu, uint32_t base, uint32_t limit, bool code);
uint16_t cpu_guest_sel(const struct cpu *cpu, uint16_t sel);
int cpu_load_seg(struct cpu *cpu, enum cpu_sreg r, uint16_t sel, uint32_t *fault);
void cpu_set_seg_host(struct cpu *cpu, enum cpu_sreg r);
int cpu_read_desc(struct cpu *cpu, uint16_t sel, struct cpu_desc *d);
void cpu_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]);
int cpu_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *v);
int cpu_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t v);

/* Registers of struct cpu_gpr() in the x86 encoding order. */
enum { GPR_EAX, GPR_ECX, GPR_EDX, GPR_EBX, GPR_ESP, GPR_EBP, GPR_ESI, GPR_EDI };

#endif /* VMM_CPU_H */
