// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* emul.c - emulate the instructions that fault at CPL3 in compatibility mode.
 *
 * Theory of operation: a #GP on a sensitive instruction arrives with no
 * information but the address, so the instruction at CS:EIP is fetched
 * through the guest page tables and decoded with capstone (32-bit mode,
 * details on).  A switch on the instruction id emulates it on the trap's
 * register file and the vCPU state, then moves EIP past it.  A step returns
 * 0 (done), EMUL_HALT (hlt: the caller waits for an interrupt), a positive
 * EXC() code (the guest takes that exception with EIP still at the
 * instruction; string I/O keeps the progress it made, as the CPU does), or
 * -errno when the monitor cannot go on; an instruction it does not know is
 * -ENOSYS and is reported with its text, never skipped silently.
 * Privileged instructions from guest CPL 3 give the guest #GP(0); I/O and
 * cli/sti check IOPL (there is no I/O bitmap).
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <capstone/capstone.h>

#include "vmm/emul.h"
#include "vmm/irq.h"
#include "vmm/paging.h"
#include "vmm/trap_priv.h"
#include "vmm/vm.h"

/**
 * emul_init() - open capstone for 32-bit x86 with instruction details
 * @vm:		virtual machine
 *
 * Return: 0, or -ENOMEM / -EINVAL.
 */
int emul_init(struct vm *vm)
{
	csh h;

	if (cs_open(CS_ARCH_X86, CS_MODE_32, &h) != CS_ERR_OK)
		return -EINVAL;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	vm->cs_insn = cs_malloc(h);
	if (!vm->cs_insn) {
		cs_close(&h);
		return -ENOMEM;
	}
	vm->capstone = h;
	return 0;
}

void emul_fini(struct vm *vm)
{
	csh h = vm->capstone;

	if (vm->cs_insn)
		cs_free(vm->cs_insn, 1);
	vm->cs_insn = NULL;
	if (h)
		cs_close(&h);
	vm->capstone = 0;
}

/**
 * emul_fetch_decode() - fetch and decode one guest instruction
 * @vm:		virtual machine
 * @lin:	linear address of the instruction
 * @eip:	its EIP (for capstone's addresses)
 *
 * Return: 0 with the instruction in vm->cs_insn, EXC(#PF) when it cannot be
 * fetched, -EILSEQ when capstone cannot decode it, -ERANGE.
 */
int emul_fetch_decode(struct vm *vm, uint32_t lin, uint32_t eip)
{
	uint8_t code[16];
	const uint8_t *p = code;
	size_t n = 15;
	uint64_t addr = eip;
	int rc;

	rc = paging_read(vm, lin, code, 15, vm->cpu.cpl == 3 ? PG_USER : 0);
	if (rc) {
		n = MEM_PAGE_SIZE - (lin & (MEM_PAGE_SIZE - 1));
		if (n >= 15)
			return rc;
		rc = paging_read(vm, lin, code, (uint32_t)n, vm->cpu.cpl == 3 ? PG_USER : 0);
		if (rc)
			return rc;
	}
	if (!cs_disasm_iter(vm->capstone, &p, &n, &addr, vm->cs_insn))
		return -EILSEQ;
	return 0;
}

static int emul_sreg(x86_reg r)
{
	switch (r) {
	case X86_REG_ES: return SEG_ES;
	case X86_REG_CS: return SEG_CS;
	case X86_REG_SS: return SEG_SS;
	case X86_REG_DS: return SEG_DS;
	case X86_REG_FS: return SEG_FS;
	case X86_REG_GS: return SEG_GS;
	default: return -1;
	}
}

/* Linear address of a memory operand. */
static uint32_t emul_ea(const struct cpu *c, const cs_x86_op *op)
{
	uint32_t a = (uint32_t)op->mem.disp;
	int s = emul_sreg(op->mem.segment);

	if (op->mem.base != X86_REG_INVALID)
		a += cpu_get_reg(c, op->mem.base, NULL);
	if (op->mem.index != X86_REG_INVALID)
		a += cpu_get_reg(c, op->mem.index, NULL) * (uint32_t)op->mem.scale;
	if (s < 0)
		s = (op->mem.base == X86_REG_ESP || op->mem.base == X86_REG_EBP) ? SEG_SS : SEG_DS;
	return c->seg[s].base + a;
}

static unsigned int emul_acc(const struct cpu *c)
{
	return c->cpl == 3 ? PG_USER : 0;
}

/* Segment named by a segment-override prefix, or @def. */
static int emul_prefix_seg(const cs_x86 *x, int def)
{
	switch (x->prefix[1]) {
	case X86_PREFIX_CS: return SEG_CS;
	case X86_PREFIX_SS: return SEG_SS;
	case X86_PREFIX_DS: return SEG_DS;
	case X86_PREFIX_ES: return SEG_ES;
	case X86_PREFIX_FS: return SEG_FS;
	case X86_PREFIX_GS: return SEG_GS;
	default: return def;
	}
}

static bool emul_io_allowed(const struct cpu *c)
{
	return (uint32_t)c->cpl <= ((c->vflags & FL_IOPL) >> 12);
}

/* in/out, one access. */
static int emul_inout(struct vm *vm, const cs_x86 *x, bool out)
{
	struct cpu *c = &vm->cpu;
	const cs_x86_op *rop = &x->operands[out ? 1 : 0], *pop = &x->operands[out ? 0 : 1];
	unsigned int size;
	uint32_t val, port;

	if (x->op_count != 2 || rop->type != X86_OP_REG)
		return -EILSEQ;
	if (!emul_io_allowed(c))
		return EXC(VEC_GP, 0);
	port = pop->type == X86_OP_IMM ? (uint32_t)pop->imm & 0xff
				       : cpu_get_reg(c, X86_REG_DX, NULL);
	val = cpu_get_reg(c, rop->reg, &size);
	if (!size)
		return -EILSEQ;
	io_access(&vm->io, c, (uint16_t)port, &val, size, out);
	if (!out)
		cpu_set_reg(c, rop->reg, val);
	return 0;
}

/* ins/outs with or without rep: progress is committed per element. */
static int emul_string_io(struct vm *vm, const cs_x86 *x, unsigned int size, bool out)
{
	struct cpu *c = &vm->cpu;
	bool rep = x->prefix[0] == X86_PREFIX_REP;
	uint32_t count = rep ? cpu_gpr(c, GPR_ECX) : 1;
	uint16_t port = (uint16_t)cpu_gpr(c, GPR_EDX);
	int seg = out ? emul_prefix_seg(x, SEG_DS) : SEG_ES;
	int idx = out ? GPR_ESI : GPR_EDI, rc;
	int32_t step = (c->gr[REG_EFL] & FL_DF) ? -(int32_t)size : (int32_t)size;

	if (!emul_io_allowed(c))
		return EXC(VEC_GP, 0);
	while (count) {
		uint32_t ptr = cpu_gpr(c, idx), val = 0;

		if (out) {
			rc = paging_read(vm, c->seg[seg].base + ptr, &val, size, emul_acc(c));
			if (rc)
				return rc;
			io_access(&vm->io, c, port, &val, size, true);
		} else {
			io_access(&vm->io, c, port, &val, size, false);
			rc = paging_write(vm, c->seg[seg].base + ptr, &val, size, emul_acc(c));
			if (rc)
				return rc;
		}
		cpu_set_gpr(c, idx, ptr + (uint32_t)step);
		count--;
		if (rep)
			cpu_set_gpr(c, GPR_ECX, count);
	}
	return 0;
}

static int emul_write_cr(struct vm *vm, unsigned int n, uint32_t v)
{
	struct cpu *c = &vm->cpu;
	uint32_t old;

	switch (n) {
	case 0:
		old = c->cr0;
		if (!(v & CR0_PE) || ((v & CR0_PG) && !(v & CR0_PE)))
			return -ENOTSUP;	/* real mode */
		c->cr0 = v | CR0_ET;
		if ((old ^ c->cr0) & (CR0_PG | CR0_WP))
			return paging_reset(vm);
		return 0;
	case 2:
		c->cr2 = v;
		return 0;
	case 3:
		c->cr3 = v;
		return paging_new_cr3(vm);
	case 4:
		if (v & 0x20)			/* PAE */
			return -ENOTSUP;
		old = c->cr4;
		c->cr4 = v;
		if ((old ^ v) & (CR4_PSE | CR4_PGE))
			return paging_reset(vm);
		return 0;
	default:
		return EXC(VEC_UD, 0);
	}
}

static int emul_read_cr(const struct cpu *c, unsigned int n, uint32_t *v)
{
	switch (n) {
	case 0: *v = c->cr0; return 0;
	case 2: *v = c->cr2; return 0;
	case 3: *v = c->cr3; return 0;
	case 4: *v = c->cr4; return 0;
	default: return EXC(VEC_UD, 0);
	}
}

/* mov to/from CRn and DRn. */
static int emul_mov_ctl(struct vm *vm, const cs_x86 *x)
{
	struct cpu *c = &vm->cpu;
	const cs_x86_op *d = &x->operands[0], *s = &x->operands[1];
	uint32_t v;
	int rc;

	if (c->cpl)
		return EXC(VEC_GP, 0);
	if (d->reg >= X86_REG_CR0 && d->reg <= X86_REG_CR15)
		return emul_write_cr(vm, d->reg - X86_REG_CR0, cpu_get_reg(c, s->reg, NULL));
	if (d->reg >= X86_REG_DR0 && d->reg <= X86_REG_DR15) {
		c->dr[(d->reg - X86_REG_DR0) & 7] = cpu_get_reg(c, s->reg, NULL);
		return 0;
	}
	if (s->reg >= X86_REG_CR0 && s->reg <= X86_REG_CR15) {
		rc = emul_read_cr(c, s->reg - X86_REG_CR0, &v);
		if (rc)
			return rc;
		return cpu_set_reg(c, d->reg, v);
	}
	if (s->reg >= X86_REG_DR0 && s->reg <= X86_REG_DR15)
		return cpu_set_reg(c, d->reg, c->dr[(s->reg - X86_REG_DR0) & 7]);
	return -EILSEQ;
}

/* Value of a 16-bit selector operand (register or memory). */
static int emul_sel_operand(struct vm *vm, const cs_x86_op *op, uint16_t *sel)
{
	const struct cpu *c = &vm->cpu;

	if (op->type == X86_OP_REG) {
		*sel = (uint16_t)cpu_get_reg(c, op->reg, NULL);
		return 0;
	}
	if (op->type == X86_OP_MEM)
		return paging_read(vm, emul_ea(c, op), sel, 2, emul_acc(c));
	return -EILSEQ;
}

static int emul_ltr(struct vm *vm, uint16_t sel)
{
	struct cpu *c = &vm->cpu;
	uint8_t raw[8];
	struct cpu_desc d;
	int rc;

	if (!(sel & ~3u) || (sel & 4) || (sel & ~7u) + 7u > c->gdtr.limit)
		return EXC(VEC_GP, sel & ~3u);
	rc = paging_read(vm, c->gdtr.base + (sel & ~7u), raw, 8, PG_NOAD);
	if (rc)
		return rc;
	cpu_desc_decode(raw, &d);
	if (d.s || (d.type != 0x9 && d.type != 0xb))
		return EXC(VEC_GP, sel & ~3u);
	if (!d.p)
		return EXC(VEC_NP, sel & ~3u);
	raw[5] |= 0x02;				/* busy */
	rc = paging_write(vm, c->gdtr.base + (sel & ~7u) + 5, raw + 5, 1, 0);
	if (rc)
		return rc;
	c->tr = sel;
	c->tr_base = d.base;
	c->tr_limit = d.limit;
	return 0;
}

/* Push or pop 32-bit values on the guest stack. */
static int emul_push(struct vm *vm, uint32_t v)
{
	struct cpu *c = &vm->cpu;
	uint32_t esp = cpu_gpr(c, GPR_ESP) - 4;
	int rc = paging_write(vm, c->seg[SEG_SS].base + esp, &v, 4, emul_acc(c));

	if (!rc)
		cpu_set_gpr(c, GPR_ESP, esp);
	return rc;
}

/* Far jmp/call: load CS and set EIP; a far call pushes the return address. */
static int emul_far(struct vm *vm, const cs_insn *in, bool call)
{
	struct cpu *c = &vm->cpu;
	const cs_x86 *x = &in->detail->x86;
	uint16_t old_cs = c->seg[SEG_CS].sel;
	uint32_t ret = cpu_eip(c) + in->size, off, esp = cpu_gpr(c, GPR_ESP);
	uint16_t sel;
	int rc;

	if (x->op_count == 2 && x->operands[0].type == X86_OP_IMM) {
		sel = (uint16_t)x->operands[0].imm;
		off = (uint32_t)x->operands[1].imm;
	} else if (x->op_count == 1 && x->operands[0].type == X86_OP_MEM) {
		uint8_t m[6];

		rc = paging_read(vm, emul_ea(c, &x->operands[0]), m, 6, emul_acc(c));
		if (rc)
			return rc;
		off = m[0] | m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
		sel = (uint16_t)(m[4] | m[5] << 8);
	} else {
		return -EILSEQ;
	}
	if ((sel & 3) != (unsigned int)c->cpl)
		return -ENOTSUP;		/* call gates, privilege changes */
	if (call) {
		rc = emul_push(vm, old_cs);
		if (!rc)
			rc = emul_push(vm, ret);
		if (rc) {
			cpu_set_gpr(c, GPR_ESP, esp);
			return rc;
		}
	}
	rc = cpu_load_seg(c, SEG_CS, sel, NULL);
	if (rc) {
		cpu_set_gpr(c, GPR_ESP, esp);
		return rc;
	}
	cpu_set_eip(c, off);
	return 0;
}

/* lret [imm16], same privilege or to an outer one. */
static int emul_retf(struct vm *vm, const cs_x86 *x)
{
	struct cpu *c = &vm->cpu;
	uint32_t esp = cpu_gpr(c, GPR_ESP), f[4], extra = 0;
	int rc;

	if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
		extra = (uint32_t)x->operands[0].imm & 0xffff;
	rc = paging_read(vm, c->seg[SEG_SS].base + esp, f, 8, emul_acc(c));
	if (rc)
		return rc;
	f[1] = cpu_guest_sel(c, (uint16_t)f[1]);
	if ((f[1] & 3) < (uint32_t)c->cpl)
		return EXC(VEC_GP, f[1] & 0xfffc);
	if ((f[1] & 3) > (uint32_t)c->cpl) {
		rc = paging_read(vm, c->seg[SEG_SS].base + esp + 8 + extra, f + 2, 8, emul_acc(c));
		if (rc)
			return rc;
	}
	rc = cpu_load_seg(c, SEG_CS, (uint16_t)f[1], NULL);
	if (rc)
		return rc;
	if ((f[1] & 3) > (uint32_t)(c->seg[SEG_SS].sel & 3)) {
		rc = cpu_load_seg(c, SEG_SS, (uint16_t)f[3], NULL);
		if (rc)
			return rc;
		cpu_set_gpr(c, GPR_ESP, f[2] + extra);
	} else {
		cpu_set_gpr(c, GPR_ESP, esp + 8 + extra);
	}
	cpu_set_eip(c, f[0]);
	return 0;
}

/* lds/les/lfs/lgs/lss r32, m16:32 */
static int emul_lxs(struct vm *vm, const cs_x86 *x, enum cpu_sreg r)
{
	struct cpu *c = &vm->cpu;
	uint8_t m[6];
	int rc;

	if (x->op_count != 2 || x->operands[1].type != X86_OP_MEM)
		return -EILSEQ;
	rc = paging_read(vm, emul_ea(c, &x->operands[1]), m, 6, emul_acc(c));
	if (rc)
		return rc;
	rc = cpu_load_seg(c, r, (uint16_t)(m[4] | m[5] << 8), NULL);
	if (rc)
		return rc;
	return cpu_set_reg(c, x->operands[0].reg,
			   m[0] | m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24);
}

/* Store a selector or 16-bit value into a register (zero-extended) or memory. */
static int emul_store16(struct vm *vm, const cs_x86_op *op, uint32_t v)
{
	struct cpu *c = &vm->cpu;
	uint16_t w = (uint16_t)v;

	if (op->type == X86_OP_REG)
		return cpu_set_reg(c, op->reg, v);
	if (op->type == X86_OP_MEM)
		return paging_write(vm, emul_ea(c, op), &w, 2, emul_acc(c));
	return -EILSEQ;
}

static void emul_set_zf(struct cpu *c, bool zf)
{
	if (zf)
		c->gr[REG_EFL] |= 0x40;
	else
		c->gr[REG_EFL] &= ~(greg_t)0x40;
}

/* popf: what may change depends on CPL and IOPL, as on the CPU. */
static int emul_popf(struct vm *vm)
{
	struct cpu *c = &vm->cpu;
	uint32_t esp = cpu_gpr(c, GPR_ESP), v, keep = 0, iopl;
	int rc;

	rc = paging_read(vm, c->seg[SEG_SS].base + esp, &v, 4, emul_acc(c));
	if (rc)
		return rc;
	iopl = (c->vflags & FL_IOPL) >> 12;
	if (c->cpl)
		keep |= FL_IOPL;
	if ((uint32_t)c->cpl > iopl)
		keep |= FL_IF;
	cpu_set_eflags(c, (v & ~keep & ~FL_TF) | (cpu_get_eflags(c) & keep));
	cpu_set_gpr(c, GPR_ESP, esp + 4);
	return 0;
}

/* lar/lsl/verr/verw on a guest selector: ZF says whether it is usable. */
static int emul_seg_query(struct vm *vm, const cs_insn *in)
{
	struct cpu *c = &vm->cpu;
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *src = &x->operands[x->op_count - 1];
	uint8_t raw[8];
	struct cpu_desc d;
	uint16_t sel;
	bool ok;
	int rc;

	rc = emul_sel_operand(vm, src, &sel);
	if (rc)
		return rc;
	ok = (sel & ~3u) && !(sel & 4) && (sel & ~7u) + 7u <= c->gdtr.limit &&
	     !paging_read(vm, c->gdtr.base + (sel & ~7u), raw, 8, PG_NOAD);
	if (ok) {
		cpu_desc_decode(raw, &d);
		ok = d.p && d.dpl >= (unsigned int)c->cpl;
		if (in->id == X86_INS_VERR)
			ok = ok && d.s && (!(d.type & 8) || (d.type & 2));
		if (in->id == X86_INS_VERW)
			ok = ok && d.s && !(d.type & 8) && (d.type & 2);
	}
	emul_set_zf(c, ok);
	if (!ok || in->id == X86_INS_VERR || in->id == X86_INS_VERW)
		return 0;
	if (in->id == X86_INS_LSL)
		return cpu_set_reg(c, x->operands[0].reg, d.limit);
	return cpu_set_reg(c, x->operands[0].reg,
			   (raw[5] << 8 | (uint32_t)raw[6] << 16) & 0x00f0ff00u);
}

/* The body of emul_insn(): returns the step result, EIP not yet advanced. */
static int emul_one(struct vm *vm, const cs_insn *in, bool *jumped)
{
	struct cpu *c = &vm->cpu;
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *op0 = &x->operands[0];
	uint32_t v, out[4];
	uint64_t q;
	uint16_t sel;
	int rc, s;

	*jumped = false;
	switch (in->id) {
	case X86_INS_CLI:
		if (!emul_io_allowed(c))
			return EXC(VEC_GP, 0);
		c->vflags &= ~FL_IF;
		return 0;
	case X86_INS_STI:
		if (!emul_io_allowed(c))
			return EXC(VEC_GP, 0);
		c->vflags |= FL_IF;
		return 0;
	case X86_INS_HLT:
		return c->cpl ? EXC(VEC_GP, 0) : EMUL_HALT;
	case X86_INS_IN:
		return emul_inout(vm, x, false);
	case X86_INS_OUT:
		return emul_inout(vm, x, true);
	case X86_INS_INSB: return emul_string_io(vm, x, 1, false);
	case X86_INS_INSW: return emul_string_io(vm, x, 2, false);
	case X86_INS_INSD: return emul_string_io(vm, x, 4, false);
	case X86_INS_OUTSB: return emul_string_io(vm, x, 1, true);
	case X86_INS_OUTSW: return emul_string_io(vm, x, 2, true);
	case X86_INS_OUTSD: return emul_string_io(vm, x, 4, true);
	case X86_INS_MOV:
		if (x->op_count == 2 && x->operands[1].type == X86_OP_REG &&
		    (s = emul_sreg(x->operands[1].reg)) >= 0)	/* mov r/m, sreg */
			return emul_store16(vm, op0, c->seg[s].sel);
		if (x->op_count != 2 || op0->type != X86_OP_REG)
			return -ENOSYS;
		s = emul_sreg(op0->reg);
		if (s >= 0) {			/* mov sreg, r/m16 */
			if (s == SEG_CS)
				return EXC(VEC_UD, 0);
			rc = emul_sel_operand(vm, &x->operands[1], &sel);
			return rc ? rc : cpu_load_seg(c, (enum cpu_sreg)s, sel, NULL);
		}
		return emul_mov_ctl(vm, x);
	case X86_INS_POP:
		s = x->op_count == 1 && op0->type == X86_OP_REG ? emul_sreg(op0->reg) : -1;
		if (s < 0 || s == SEG_CS)
			return -ENOSYS;
		v = cpu_gpr(c, GPR_ESP);
		rc = paging_read(vm, c->seg[SEG_SS].base + v, &sel, 2, emul_acc(c));
		if (!rc)
			rc = cpu_load_seg(c, (enum cpu_sreg)s, sel, NULL);
		if (!rc)
			cpu_set_gpr(c, GPR_ESP, v + 4);
		return rc;
	case X86_INS_PUSH:
		s = x->op_count == 1 && op0->type == X86_OP_REG ? emul_sreg(op0->reg) : -1;
		if (s < 0)
			return -ENOSYS;
		return emul_push(vm, c->seg[s].sel);
	case X86_INS_PUSHFD:
		return emul_push(vm, cpu_get_eflags(c) & ~0x30000u);	/* VM, RF read 0 */
	case X86_INS_POPFD:
		return emul_popf(vm);
	case X86_INS_SGDT:
	case X86_INS_SIDT: {
		const struct cpu_dtr *t = in->id == X86_INS_SGDT ? &c->gdtr : &c->idtr;
		uint8_t m[6] = { (uint8_t)t->limit, (uint8_t)(t->limit >> 8), (uint8_t)t->base,
				 (uint8_t)(t->base >> 8), (uint8_t)(t->base >> 16),
				 (uint8_t)(t->base >> 24) };

		if (op0->type != X86_OP_MEM)
			return -EILSEQ;
		return paging_write(vm, emul_ea(c, op0), m, 6, emul_acc(c));
	}
	case X86_INS_SLDT:
		return emul_store16(vm, op0, c->ldtr);
	case X86_INS_STR:
		return emul_store16(vm, op0, c->tr);
	case X86_INS_SMSW:
		return emul_store16(vm, op0, op0->type == X86_OP_REG ? c->cr0 : c->cr0 & 0xffff);
	case X86_INS_LAR:
	case X86_INS_LSL:
	case X86_INS_VERR:
	case X86_INS_VERW:
		return emul_seg_query(vm, in);
	case X86_INS_RDTSC:
		q = __builtin_ia32_rdtsc();
		cpu_set_gpr(c, GPR_EAX, (uint32_t)q);
		cpu_set_gpr(c, GPR_EDX, (uint32_t)(q >> 32));
		return 0;
	case X86_INS_STAC:
	case X86_INS_CLAC:
		return 0;			/* AC is virtual: no SMAP for the guest */
	case X86_INS_XSETBV:
	case X86_INS_MONITOR:
	case X86_INS_MWAIT:
	case X86_INS_VMCALL:
	case X86_INS_VMMCALL:
		return EXC(VEC_UD, 0);		/* features the vCPU does not offer */
	case X86_INS_LDS: return emul_lxs(vm, x, SEG_DS);
	case X86_INS_LES: return emul_lxs(vm, x, SEG_ES);
	case X86_INS_LFS: return emul_lxs(vm, x, SEG_FS);
	case X86_INS_LGS: return emul_lxs(vm, x, SEG_GS);
	case X86_INS_LSS: return emul_lxs(vm, x, SEG_SS);
	case X86_INS_LGDT:
	case X86_INS_LIDT: {
		uint8_t m[6];
		struct cpu_dtr *t = in->id == X86_INS_LGDT ? &c->gdtr : &c->idtr;

		if (c->cpl)
			return EXC(VEC_GP, 0);
		if (op0->type != X86_OP_MEM)
			return -EILSEQ;
		rc = paging_read(vm, emul_ea(c, op0), m, 6, 0);
		if (rc)
			return rc;
		t->limit = (uint16_t)(m[0] | m[1] << 8);
		t->base = m[2] | m[3] << 8 | (uint32_t)m[4] << 16 | (uint32_t)m[5] << 24;
		return 0;
	}
	case X86_INS_LLDT:
		if (c->cpl)
			return EXC(VEC_GP, 0);
		rc = emul_sel_operand(vm, op0, &sel);
		if (rc)
			return rc;
		if (sel & ~3u)
			return -ENOTSUP;	/* a guest LDT is not supported yet */
		c->ldtr = 0;
		return 0;
	case X86_INS_LTR:
		if (c->cpl)
			return EXC(VEC_GP, 0);
		rc = emul_sel_operand(vm, op0, &sel);
		return rc ? rc : emul_ltr(vm, sel);
	case X86_INS_INVLPG:
		if (c->cpl)
			return EXC(VEC_GP, 0);
		return paging_invlpg(vm, emul_ea(c, op0));
	case X86_INS_WRMSR:
		if (c->cpl)
			return EXC(VEC_GP, 0);
		return cpu_wrmsr(c, cpu_gpr(c, GPR_ECX),
				 cpu_gpr(c, GPR_EAX) | (uint64_t)cpu_gpr(c, GPR_EDX) << 32);
	case X86_INS_RDMSR:
		if (c->cpl)
			return EXC(VEC_GP, 0);
		rc = cpu_rdmsr(c, cpu_gpr(c, GPR_ECX), &q);
		if (rc)
			return rc;
		cpu_set_gpr(c, GPR_EAX, (uint32_t)q);
		cpu_set_gpr(c, GPR_EDX, (uint32_t)(q >> 32));
		return 0;
	case X86_INS_CPUID:
		cpu_cpuid(cpu_gpr(c, GPR_EAX), cpu_gpr(c, GPR_ECX), out);
		/* 0x40000001 EAX bit 0: stubs use the vCPU page (rewriter/vcpu_abi.h) */
		if (cpu_gpr(c, GPR_EAX) == 0x40000001u && vm->hc.active)
			out[0] |= 1;
		cpu_set_gpr(c, GPR_EAX, out[0]);
		cpu_set_gpr(c, GPR_EBX, out[1]);
		cpu_set_gpr(c, GPR_ECX, out[2]);
		cpu_set_gpr(c, GPR_EDX, out[3]);
		return 0;
	case X86_INS_RDPMC:
		cpu_set_gpr(c, GPR_EAX, 0);
		cpu_set_gpr(c, GPR_EDX, 0);
		return 0;
	case X86_INS_CLTS:
		if (c->cpl)
			return EXC(VEC_GP, 0);
		c->cr0 &= ~CR0_TS;
		return 0;
	case X86_INS_LMSW:
		if (c->cpl)
			return EXC(VEC_GP, 0);
		rc = emul_sel_operand(vm, op0, &sel);
		return rc ? rc : emul_write_cr(vm, 0, (c->cr0 & ~0xeu) | (sel & 0xf) | CR0_PE);
	case X86_INS_WBINVD:
	case X86_INS_INVD:
		return c->cpl ? EXC(VEC_GP, 0) : 0;
	case X86_INS_IRETD:
		*jumped = true;
		return irq_iret(vm);
	case X86_INS_INT:
		*jumped = true;
		cpu_set_eip(c, cpu_eip(c) + in->size);
		rc = irq_deliver(vm, (unsigned int)op0->imm & 0xff, IRQ_SOFT, false, 0);
		return rc < 0 ? rc : 0;
	case X86_INS_INTO:
		if (!(c->gr[REG_EFL] & 0x800))
			return 0;
		*jumped = true;
		cpu_set_eip(c, cpu_eip(c) + in->size);
		rc = irq_deliver(vm, 4, IRQ_SOFT, false, 0);
		return rc < 0 ? rc : 0;
	case X86_INS_LJMP:
	case X86_INS_LCALL:
		*jumped = true;
		return emul_far(vm, in, in->id == X86_INS_LCALL);
	case X86_INS_RETF:
		*jumped = true;
		return emul_retf(vm, x);
	case X86_INS_SYSENTER:
	case X86_INS_SYSEXIT:
		return EXC(VEC_UD, 0);
	default:
		return -ENOSYS;
	}
}

/**
 * emul_mem() - emulate a data access to memory the host cannot map
 * @vm:		virtual machine in a trap, EIP at the faulting instruction
 * @lin:	the faulting linear address (e.g. in page 0)
 * @what:	buffer receiving the instruction text
 * @what_len:	its size
 *
 * Only flag-less moves are handled: mov to or from memory (register or
 * immediate source), movzx and movsx from memory.
 *
 * Return: 0 (done, EIP advanced), EXC() for the guest, or -errno
 * (-ENOSYS for another instruction).
 */
int emul_mem(struct vm *vm, uint32_t lin, char *what, unsigned int what_len)
{
	struct cpu *c = &vm->cpu;
	uint32_t eip = cpu_eip(c), v = 0, ea;
	const cs_insn *in = vm->cs_insn;
	const cs_x86 *x;
	const cs_x86_op *d, *src;
	unsigned int size;
	int rc;

	what[0] = '\0';
	rc = emul_fetch_decode(vm, c->seg[SEG_CS].base + eip, eip);
	if (rc)
		return rc;
	snprintf(what, what_len, "%s %s", in->mnemonic, in->op_str);
	x = &in->detail->x86;
	if (x->op_count != 2)
		return -ENOSYS;
	d = &x->operands[0];
	src = &x->operands[1];
	trap_count_insn(in->id);
	switch (in->id) {
	case X86_INS_MOV:
		if (d->type == X86_OP_MEM) {
			ea = emul_ea(c, d);
			size = d->size;
			if (src->type == X86_OP_REG)
				v = cpu_get_reg(c, src->reg, NULL);
			else if (src->type == X86_OP_IMM)
				v = (uint32_t)src->imm;
			else
				return -ENOSYS;
			if (size > 4 || (ea >> 12) != (lin >> 12))
				return -ENOSYS;
			rc = paging_write(vm, ea, &v, size, emul_acc(c));
			break;
		}
		__attribute__((fallthrough));	/* register destination */
	case X86_INS_MOVZX:
	case X86_INS_MOVSX:
		if (d->type != X86_OP_REG || src->type != X86_OP_MEM || src->size > 4)
			return -ENOSYS;
		ea = emul_ea(c, src);
		if ((ea >> 12) != (lin >> 12))
			return -ENOSYS;
		rc = paging_read(vm, ea, &v, src->size, emul_acc(c));
		if (rc)
			return rc;
		if (in->id == X86_INS_MOVSX && src->size == 1)
			v = (uint32_t)(int32_t)(int8_t)v;
		else if (in->id == X86_INS_MOVSX && src->size == 2)
			v = (uint32_t)(int32_t)(int16_t)v;
		rc = cpu_set_reg(c, d->reg, v);
		break;
	default:
		return -ENOSYS;
	}
	if (!rc)
		cpu_set_eip(c, eip + in->size);
	return rc;
}

/* Emulate the instruction decoded in vm->cs_insn, found at @eip. */
static int emul_run(struct vm *vm, uint32_t eip, bool peek_hlt, char *what,
		    unsigned int what_len)
{
	struct cpu *c = &vm->cpu;
	const cs_insn *in = vm->cs_insn;
	bool jumped;
	int rc;

	snprintf(what, what_len, "%s %s", in->mnemonic, in->op_str);
	trap_count_insn(in->id);
	if (vm->trace_all)
		fprintf(stderr, "ulvm: emul %#x:%#x cpl%d %s\n", c->seg[SEG_CS].sel, eip, c->cpl, what);
	cpu_set_eip(c, eip);
	rc = emul_one(vm, in, &jumped);
	if ((rc == 0 || rc == EMUL_HALT) && !jumped)
		cpu_set_eip(c, eip + in->size);
	if (rc == 0 && in->id == X86_INS_STI && peek_hlt) {
		uint8_t next;

		/* sti; hlt: the interrupt shadow lets hlt start before any
		 * interrupt is taken, so take them both as one. */
		if (!paging_read(vm, c->seg[SEG_CS].base + eip + in->size, &next, 1,
				 emul_acc(c)) && next == 0xf4) {
			trap_count_insn(X86_INS_HLT);
			cpu_set_eip(c, eip + in->size + 1);
			rc = EMUL_HALT;
		}
	}
	return rc;
}

/**
 * emul_insn() - emulate the instruction at the guest's CS:EIP
 * @vm:		virtual machine in a trap
 * @what:	buffer receiving "mnemonic operands" for error messages
 * @what_len:	its size
 *
 * Return: 0 (emulated, EIP advanced), EMUL_HALT, EXC() for the guest (EIP
 * at the instruction), or -errno (-ENOSYS: unknown instruction, -ENOTSUP:
 * a feature the monitor lacks).
 */
int emul_insn(struct vm *vm, char *what, unsigned int what_len)
{
	struct cpu *c = &vm->cpu;
	uint32_t eip = cpu_eip(c);
	int rc;

	what[0] = '\0';
	rc = emul_fetch_decode(vm, c->seg[SEG_CS].base + eip, eip);
	if (rc)
		return rc;
	return emul_run(vm, eip, true, what, what_len);
}

/**
 * emul_bytes() - emulate an instruction given by its bytes (a rewritten site)
 * @vm:		virtual machine in a trap
 * @eip:	EIP of the instruction (the site's address in CS)
 * @insn:	its original bytes
 * @len:	their number
 * @what:	buffer receiving the instruction text
 * @what_len:	its size
 *
 * Return: as emul_insn(); -EILSEQ when the bytes are not one instruction.
 */
int emul_bytes(struct vm *vm, uint32_t eip, const uint8_t *insn, unsigned int len,
	       char *what, unsigned int what_len)
{
	const uint8_t *p = insn;
	size_t n = len;
	uint64_t addr = eip;

	what[0] = '\0';
	if (!cs_disasm_iter(vm->capstone, &p, &n, &addr, vm->cs_insn) ||
	    ((cs_insn *)vm->cs_insn)->size != len)
		return -EILSEQ;
	return emul_run(vm, eip, false, what, what_len);
}
