// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* cpu.c - vCPU state: registers, flags, segments, CPUID and MSRs.
 *
 * Theory of operation: while the guest runs, its general registers, EIP and
 * arithmetic flags live in the host CPU; in a trap they are the signal's
 * ucontext, which @gr points to, and the monitor edits them there.  What the
 * host CPU cannot hold for a CPL3 process is kept here: the virtual flags
 * (IF, IOPL, NT, AC, ID, TF), control and descriptor-table registers, and
 * for each segment register the guest's own selector next to the host
 * selector standing in for it.  Host selectors are LDT entries (DPL 3) made
 * with modify_ldt from the guest descriptor's base and limit, shared by
 * every guest selector with the same shape (slot 0 flat code, slot 1 flat
 * data).  Guest descriptors are read from the guest GDT through its page
 * tables.  Functions that can fault in the guest return 0, a positive EXC()
 * code naming the exception, or -errno for a monitor failure.
 */

#include "config.h"

#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/ldt.h>
#include <capstone/capstone.h>

#include "vmm/cpu.h"
#include "vmm/paging.h"
#include "vmm/trap_priv.h"
#include "vmm/vm.h"

/* Greg index of each GPR in x86 encoding order. */
static const int cpu_greg[8] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI
};

static int cpu_ldt_write(unsigned int slot, uint32_t base, uint32_t limit, bool code)
{
	struct user_desc d;

	memset(&d, 0, sizeof(d));
	d.entry_number = slot;
	d.base_addr = base;
	d.seg_32bit = 1;
	d.useable = 1;
	d.contents = code ? MODIFY_LDT_CONTENTS_CODE : MODIFY_LDT_CONTENTS_DATA;
	if (limit > 0xfffff) {
		d.limit = limit >> 12;
		d.limit_in_pages = 1;
	} else {
		d.limit = limit;
	}
	return syscall(SYS_modify_ldt, 1, &d, sizeof(d)) ? -errno : 0;
}

/**
 * cpu_init() - reset the vCPU and make the flat host LDT segments
 * @cpu:	vCPU
 * @vm:		owning machine
 *
 * Return: 0, or -errno from modify_ldt.
 */
int cpu_init(struct cpu *cpu, struct vm *vm)
{
	int rc, i;

	memset(cpu, 0, sizeof(*cpu));
	cpu->vm = vm;
	cpu->gr = cpu->regs;
	cpu->cr0 = CR0_ET;
	cpu->gdtr.limit = cpu->idtr.limit = 0xffff;
	cpu->regs[REG_EFL] = 0x2;
	for (i = 0; i < SEG_NR; i++)
		cpu->seg[i].limit = 0xffff;
	rc = cpu_host_sel(cpu, 0, 0xffffffffu, true);
	if (rc < 0)
		return rc;
	rc = cpu_host_sel(cpu, 0, 0xffffffffu, false);
	return rc < 0 ? rc : 0;
}

/**
 * cpu_host_sel() - host LDT selector for a segment shape, made on demand
 * @cpu:	vCPU
 * @base:	base
 * @limit:	byte-granular limit (limits above 1 MiB are rounded to pages)
 * @code:	32-bit code segment, else data
 *
 * Return: selector (LDT, RPL 3), or -ENOSPC / -errno.
 */
int cpu_host_sel(struct cpu *cpu, uint32_t base, uint32_t limit, bool code)
{
	unsigned int i, free_slot = CPU_LDT_SLOTS;
	int rc;

	if (limit > 0xfffff)
		limit |= 0xfff;
	for (i = 0; i < CPU_LDT_SLOTS; i++) {
		const struct cpu_ldt_slot *s = &cpu->ldt[i];

		if (!s->used) {
			if (free_slot == CPU_LDT_SLOTS)
				free_slot = i;
			continue;
		}
		if (s->base == base && s->limit == limit && s->code == code)
			return CPU_HOST_SEL(i);
	}
	if (free_slot == CPU_LDT_SLOTS) {
		/* Full (a TLS base per process adds up): reuse, round robin,
		 * a slot no segment register holds; 0 and 1 are the flat ones. */
		for (i = 0; i < CPU_LDT_SLOTS; i++) {
			unsigned int k = (cpu->ldt_next + i) % CPU_LDT_SLOTS, r;
			bool held = k < 2;

			for (r = 0; r < SEG_NR && !held; r++)
				held = cpu->seg[r].host == CPU_HOST_SEL(k);
			if (!held) {
				free_slot = k;
				break;
			}
		}
		if (free_slot == CPU_LDT_SLOTS)
			return -ENOSPC;
		cpu->ldt_next = (free_slot + 1) % CPU_LDT_SLOTS;
	}
	rc = cpu_ldt_write(free_slot, base, limit, code);
	if (rc)
		return rc;
	cpu->ldt[free_slot] = (struct cpu_ldt_slot){ base, limit, code, true };
	return CPU_HOST_SEL(free_slot);
}

/**
 * cpu_desc_decode() - decode an 8-byte segment descriptor
 * @raw:	descriptor bytes
 * @d:		decoded fields
 */
void cpu_desc_decode(const uint8_t raw[8], struct cpu_desc *d)
{
	uint32_t lo = raw[0] | raw[1] << 8 | (uint32_t)raw[2] << 16 | (uint32_t)raw[3] << 24;
	uint32_t hi = raw[4] | raw[5] << 8 | (uint32_t)raw[6] << 16 | (uint32_t)raw[7] << 24;

	d->base = (lo >> 16) | (hi & 0xff) << 16 | (hi & 0xff000000u);
	d->limit = (lo & 0xffff) | (hi & 0x000f0000u);
	if (hi & 0x00800000u)		/* granularity: pages */
		d->limit = d->limit << 12 | 0xfff;
	d->type = (hi >> 8) & 0xf;
	d->s = hi & 0x1000;
	d->dpl = (hi >> 13) & 3;
	d->p = hi & 0x8000;
	d->db = hi & 0x00400000u;
}

/**
 * cpu_read_desc() - read a descriptor from the guest GDT
 * @cpu:	vCPU
 * @sel:	selector (LDT selectors are refused)
 * @d:		decoded descriptor
 *
 * Return: 0, EXC(#GP, sel) when out of the table, another EXC() or -errno.
 */
int cpu_read_desc(struct cpu *cpu, uint16_t sel, struct cpu_desc *d)
{
	uint8_t raw[8];
	uint32_t off = sel & ~7u;
	int rc;

	if ((sel & 4) || off + 7 > cpu->gdtr.limit)
		return EXC(VEC_GP, sel & ~3u);
	rc = paging_read(cpu->vm, cpu->gdtr.base + off, raw, 8, PG_NOAD);
	if (rc)
		return rc;
	cpu_desc_decode(raw, d);
	return 0;
}

/**
 * cpu_set_seg_host() - put a segment register's host selector in place
 * @cpu:	vCPU
 * @r:		register
 *
 * CS and SS go into the trap's ucontext; DS, ES and GS are loaded now (they
 * are not part of a 64-bit signal frame and survive sigreturn); FS goes to
 * the trap stub, which restores it last.  Outside a trap nothing is done:
 * the entry path loads every register from @seg.
 */
void cpu_set_seg_host(struct cpu *cpu, enum cpu_sreg r)
{
	uint32_t h = cpu->seg[r].host;

	switch (r) {
	case SEG_CS:
		cpu->gr[REG_CSGSFS] = (cpu->gr[REG_CSGSFS] & ~0xffffll) | h;
		break;
	case SEG_SS:
		cpu->gr[REG_CSGSFS] = (cpu->gr[REG_CSGSFS] & 0x0000ffffffffffffll) |
				      (greg_t)((uint64_t)h << 48);
		if (cpu->uc)
			cpu->uc->uc_flags |= 0x2 | 0x4;	/* UC_SIGCONTEXT_SS, STRICT */
		break;
	default:
		if (cpu->uc)
			trap_load_sreg(r, (uint16_t)h, cpu->seg[r].base);
		break;
	}
}

/**
 * cpu_guest_sel() - undo a leak of one of the monitor's selectors
 * @cpu:	vCPU
 * @sel:	a selector the guest is loading
 *
 * An LDT selector can only be one of ours, read by a native push %cs or
 * mov %ds,%eax the rewriter missed: it stands for the guest selector of the
 * segment register it is loaded in now.
 *
 * Return: that guest selector, or @sel unchanged.
 */
uint16_t cpu_guest_sel(const struct cpu *cpu, uint16_t sel)
{
	int i;

	if (!(sel & 4))
		return sel;
	for (i = 0; i < SEG_NR; i++)
		if (cpu->seg[i].host == sel && cpu->seg[i].sel && !(cpu->seg[i].sel & 4))
			return cpu->seg[i].sel;
	return sel;
}

/**
 * cpu_load_seg() - emulate a segment register load
 * @cpu:	vCPU
 * @r:		register
 * @sel:	guest selector
 * @fault:	unused, may be NULL (kept for symmetry with far transfers)
 *
 * A host LDT selector (the guest may have read one natively) is taken as
 * the guest selector of the segment register it currently stands for.
 *
 * Return: 0, EXC() for the guest (#GP, #NP, #SS), or -errno.
 */
int cpu_load_seg(struct cpu *cpu, enum cpu_sreg r, uint16_t sel, uint32_t *fault)
{
	struct cpu_seg *s = &cpu->seg[r];
	struct cpu_desc d;
	int rc, h;

	(void)fault;
	sel = cpu_guest_sel(cpu, sel);
	if (!(sel & ~3u)) {
		if (r == SEG_CS || r == SEG_SS)
			return EXC(VEC_GP, 0);
		*s = (struct cpu_seg){ .sel = sel };
		cpu_set_seg_host(cpu, r);
		return 0;
	}
	rc = cpu_read_desc(cpu, sel, &d);
	if (rc)
		return rc;
	if (!d.s)
		return EXC(VEC_GP, sel & ~3u);
	if (r == SEG_CS && !(d.type & 8))
		return EXC(VEC_GP, sel & ~3u);
	if (r == SEG_SS && ((d.type & 8) || !(d.type & 2)))
		return EXC(VEC_GP, sel & ~3u);
	if (r != SEG_CS && r != SEG_SS && (d.type & 0xa) == 0x8)
		return EXC(VEC_GP, sel & ~3u);	/* execute-only code */
	if (!d.p)
		return EXC(r == SEG_SS ? VEC_SS : VEC_NP, sel & ~3u);
	if (r == SEG_CS && !d.db)
		return -ENOTSUP;		/* 16-bit code */
	h = cpu_host_sel(cpu, d.base, d.limit, r == SEG_CS);
	if (h < 0)
		return h;
	s->sel = sel;
	s->host = (uint16_t)h;
	s->base = d.base;
	s->limit = d.limit;
	s->attr = (uint16_t)(d.type | (d.s ? 0x10 : 0) | d.dpl << 5 | (d.p ? 0x80 : 0) |
			     (d.db ? 0x4000 : 0));
	if (r == SEG_CS)
		cpu->cpl = sel & 3;
	cpu_set_seg_host(cpu, r);
	return 0;
}

/**
 * cpu_get_eflags() - the guest's EFLAGS: host arithmetic flags + virtual ones
 * @cpu:	vCPU
 *
 * Return: EFLAGS as the guest should see it.
 */
uint32_t cpu_get_eflags(const struct cpu *cpu)
{
	return ((uint32_t)cpu->gr[REG_EFL] & FL_HOST) | (cpu->vflags & FL_VIRT) | 0x2;
}

/**
 * cpu_set_eflags() - load the guest's EFLAGS
 * @cpu:	vCPU
 * @v:		new value: FL_HOST bits go to the host CPU, FL_VIRT kept here
 */
void cpu_set_eflags(struct cpu *cpu, uint32_t v)
{
	cpu->gr[REG_EFL] = (cpu->gr[REG_EFL] & ~(greg_t)FL_HOST) | (v & FL_HOST);
	cpu->vflags = v & FL_VIRT;
}

uint32_t cpu_gpr(const struct cpu *cpu, int n)
{
	return (uint32_t)cpu->gr[cpu_greg[n & 7]];
}

void cpu_set_gpr(struct cpu *cpu, int n, uint32_t v)
{
	cpu->gr[cpu_greg[n & 7]] = v;	/* compatibility mode: upper half 0 */
}

uint32_t cpu_eip(const struct cpu *cpu)
{
	return (uint32_t)cpu->gr[REG_RIP];
}

void cpu_set_eip(struct cpu *cpu, uint32_t eip)
{
	cpu->gr[REG_RIP] = eip;
}

/* Map a capstone register to (gpr, shift, size). */
static int cpu_reg_lookup(int r, int *gpr, unsigned int *shift, unsigned int *size)
{
	static const struct { int reg; int gpr; uint8_t shift, size; } map[] = {
		{ X86_REG_EAX, GPR_EAX, 0, 4 }, { X86_REG_ECX, GPR_ECX, 0, 4 },
		{ X86_REG_EDX, GPR_EDX, 0, 4 }, { X86_REG_EBX, GPR_EBX, 0, 4 },
		{ X86_REG_ESP, GPR_ESP, 0, 4 }, { X86_REG_EBP, GPR_EBP, 0, 4 },
		{ X86_REG_ESI, GPR_ESI, 0, 4 }, { X86_REG_EDI, GPR_EDI, 0, 4 },
		{ X86_REG_AX, GPR_EAX, 0, 2 }, { X86_REG_CX, GPR_ECX, 0, 2 },
		{ X86_REG_DX, GPR_EDX, 0, 2 }, { X86_REG_BX, GPR_EBX, 0, 2 },
		{ X86_REG_SP, GPR_ESP, 0, 2 }, { X86_REG_BP, GPR_EBP, 0, 2 },
		{ X86_REG_SI, GPR_ESI, 0, 2 }, { X86_REG_DI, GPR_EDI, 0, 2 },
		{ X86_REG_AL, GPR_EAX, 0, 1 }, { X86_REG_CL, GPR_ECX, 0, 1 },
		{ X86_REG_DL, GPR_EDX, 0, 1 }, { X86_REG_BL, GPR_EBX, 0, 1 },
		{ X86_REG_AH, GPR_EAX, 8, 1 }, { X86_REG_CH, GPR_ECX, 8, 1 },
		{ X86_REG_DH, GPR_EDX, 8, 1 }, { X86_REG_BH, GPR_EBX, 8, 1 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(map); i++) {
		if (map[i].reg == r) {
			*gpr = map[i].gpr;
			*shift = map[i].shift;
			*size = map[i].size;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * cpu_get_reg() - read a general register named by its capstone id
 * @cpu:	vCPU
 * @x86_reg:	X86_REG_* of a 8/16/32-bit general register
 * @size:	out, the register's width in bytes (may be NULL)
 *
 * Return: its value (0 for registers that are not general ones, size 0).
 */
uint32_t cpu_get_reg(const struct cpu *cpu, int x86_reg, unsigned int *size)
{
	unsigned int shift, sz;
	int gpr;

	if (cpu_reg_lookup(x86_reg, &gpr, &shift, &sz)) {
		if (size)
			*size = 0;
		return 0;
	}
	if (size)
		*size = sz;
	return (cpu_gpr(cpu, gpr) >> shift) & (sz == 4 ? 0xffffffffu : (1u << (8 * sz)) - 1);
}

/**
 * cpu_set_reg() - write a general register named by its capstone id
 * @cpu:	vCPU
 * @x86_reg:	X86_REG_* (8-bit and 16-bit writes keep the other bits)
 * @v:		value
 *
 * Return: 0, or -EINVAL for a register that is not a general one.
 */
int cpu_set_reg(struct cpu *cpu, int x86_reg, uint32_t v)
{
	unsigned int shift, sz;
	uint32_t mask, old;
	int gpr;

	if (cpu_reg_lookup(x86_reg, &gpr, &shift, &sz))
		return -EINVAL;
	mask = (sz == 4 ? 0xffffffffu : (1u << (8 * sz)) - 1) << shift;
	old = cpu_gpr(cpu, gpr);
	cpu_set_gpr(cpu, gpr, (old & ~mask) | ((v << shift) & mask));
	return 0;
}

/**
 * cpu_cpuid() - the virtual CPU's CPUID
 * @leaf:	EAX
 * @sub:	ECX
 * @out:	EAX, EBX, ECX, EDX
 *
 * The host's values, with what the guest must not use removed: long mode,
 * SYSCALL and SEP (its vdso must use int $0x80), the local APIC and x2APIC,
 * PAE, MTRR/MCE, VMX/SVM, XSAVE/AVX, PCID, and every structured-extended
 * feature (SMEP, SMAP, UMIP, FSGSBASE...); the hypervisor bit is set and
 * leaf 0x40000000 names "ulvmulvmulvm".  One vCPU: no HTT, one logical
 * processor.
 */
void cpu_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	uint32_t a = 0, b = 0, c = 0, d = 0, max;

	__cpuid(0, max, b, c, d);
	if (max > 0xd)
		max = 0xd;
	if (leaf >= 0x40000000u && leaf < 0x80000000u) {
		if (leaf == 0x40000000u) {
			out[0] = 0x40000000u;
			memcpy(&out[1], "ulvmulvmulvm", 12);
		} else {
			out[0] = out[1] = out[2] = out[3] = 0;
		}
		return;
	}
	if (leaf < 0x80000000u && leaf > max) {
		out[0] = out[1] = out[2] = out[3] = 0;
		return;
	}
	__cpuid_count(leaf, sub, a, b, c, d);
	switch (leaf) {
	case 0:
		a = max;
		break;
	case 1:
		b &= 0x0000ffffu;		/* APIC id 0, one logical CPU */
		b |= 1u << 16;
		c &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 9) |	/* MONITOR VMX SMX SDBG */
		       (1u << 17) | (1u << 21) | (1u << 24) |	/* PCID x2APIC TSC-deadline */
		       (1u << 26) | (1u << 27) | (1u << 28) |	/* XSAVE OSXSAVE AVX */
		       (1u << 12) | (1u << 29) | (1u << 30));	/* FMA F16C RDRAND */
		c |= 1u << 31;			/* hypervisor */
		d &= ~((1u << 1) | (1u << 6) | (1u << 7) | (1u << 9) |	/* VME PAE MCE APIC */
		       (1u << 11) | (1u << 12) | (1u << 14) |	/* SEP MTRR MCA */
		       (1u << 17) | (1u << 18) | (1u << 21) |	/* PSE36 PSN DS */
		       (1u << 22) | (1u << 27) | (1u << 28) |	/* ACPI SS HTT */
		       (1u << 29));			/* TM */
		break;
	case 4: case 7: case 0xb: case 0xd:
		a = b = c = d = 0;
		break;
	case 0x80000000u:
		if (a > 0x80000008u)
			a = 0x80000008u;
		break;
	case 0x80000001u:
		c &= (1u << 0) | (1u << 5);	/* LAHF, LZCNT */
		d &= ~((1u << 11) | (1u << 20) | (1u << 27) | (1u << 29));	/* SYSCALL NX RDTSCP LM */
		break;
	default:
		if (leaf > 0x80000008u)
			a = b = c = d = 0;
		break;
	}
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

/**
 * cpu_rdmsr() - read a model-specific register
 * @cpu:	vCPU
 * @msr:	MSR number
 * @v:		value out
 *
 * Return: 0, or EXC(#GP, 0) for MSRs the virtual CPU does not have.
 */
int cpu_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *v)
{
	switch (msr) {
	case 0x10:				/* TSC */
		*v = __builtin_ia32_rdtsc();
		return 0;
	case 0x174: case 0x175: case 0x176:	/* SYSENTER_CS/ESP/EIP */
		*v = cpu->msr_sysenter[msr - 0x174];
		return 0;
	case 0x277:				/* PAT */
		*v = cpu->msr_pat ? cpu->msr_pat : 0x0007040600070406ull;
		return 0;
	case 0x17: case 0x8b: case 0x3a: case 0xfe: case 0x179:
		*v = 0;				/* platform id, ucode, feature ctl, MTRR/MCG cap */
		return 0;
	default:
		return EXC(VEC_GP, 0);
	}
}

/**
 * cpu_wrmsr() - write a model-specific register
 * @cpu:	vCPU
 * @msr:	MSR number
 * @v:		value
 *
 * Return: 0, or EXC(#GP, 0) for MSRs the virtual CPU does not have.
 */
int cpu_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t v)
{
	switch (msr) {
	case 0x174: case 0x175: case 0x176:
		cpu->msr_sysenter[msr - 0x174] = v;
		return 0;
	case 0x277:
		cpu->msr_pat = v;
		return 0;
	case 0x10: case 0x8b: case 0x3a: case 0x179:
		return 0;			/* accepted, no effect */
	default:
		return EXC(VEC_GP, 0);
	}
}
