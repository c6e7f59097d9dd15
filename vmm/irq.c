// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* irq.c - deliver interrupts and exceptions as the CPU would; emulate iret.
 *
 * Theory of operation: delivery reads the gate from the guest IDT, checks
 * it (present, 32-bit interrupt or trap gate, DPL for software interrupts),
 * reads the target code descriptor and, on a change to a more privileged
 * level, the inner stack from the guest TSS (esp0/ss0).  It then builds the
 * frame the CPU builds -- [SS, ESP,] EFLAGS, CS, EIP [, error code] with the
 * guest's own selectors and virtual flags -- on the guest stack through the
 * guest page tables, and only once the frame is written commits the new
 * CS:EIP, SS:ESP and flags (IF cleared by interrupt gates, TF and NT always)
 * into the trap's register file.  A fault while delivering an exception
 * becomes a double fault, a fault while delivering that one a triple fault,
 * which ends the guest.  External interrupts are taken only with the virtual
 * IF set (irq_check), called after every trap and on sti, popf and iret.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include "vmm/irq.h"
#include "vmm/paging.h"
#include "vmm/vm.h"

/**
 * irq_exc_has_err() - does an exception vector push an error code
 * @vec:	vector
 *
 * Return: true for #DF, #TS, #NP, #SS, #GP, #PF, #AC.
 */
bool irq_exc_has_err(unsigned int vec)
{
	return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
}

static void irq_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* One delivery attempt: 0, EXC() for a nested fault, or -errno. */
static int irq_try(struct vm *vm, unsigned int vec, enum irq_source src,
		   bool has_err, uint32_t err)
{
	struct cpu *c = &vm->cpu;
	struct cpu_desc cd, sd;
	uint8_t gate[8], frame[24];
	uint32_t off, esp, ss_base, new_esp, n = 0, eflags;
	uint16_t sel, ss_sel;
	unsigned int type, dpl, new_cpl;
	bool outer;
	int rc;

	if (vec * 8 + 7 > c->idtr.limit)
		return EXC(VEC_GP, vec * 8 + 2);
	rc = paging_read(vm, c->idtr.base + vec * 8, gate, 8, PG_NOAD);
	if (rc)
		return rc;
	off = gate[0] | gate[1] << 8 | (uint32_t)gate[6] << 16 | (uint32_t)gate[7] << 24;
	sel = (uint16_t)(gate[2] | gate[3] << 8);
	type = gate[5] & 0x1f;
	dpl = (gate[5] >> 5) & 3;
	if (type == 0x05)
		return -ENOTSUP;		/* task gate */
	if (type != 0x0e && type != 0x0f)
		return EXC(VEC_GP, vec * 8 + 2);
	if (src == IRQ_SOFT && dpl < (unsigned int)c->cpl)
		return EXC(VEC_GP, vec * 8 + 2);
	if (!(gate[5] & 0x80))
		return EXC(VEC_NP, vec * 8 + 2);
	rc = cpu_read_desc(c, sel, &cd);
	if (rc)
		return rc;
	if (!cd.s || !(cd.type & 8) || !cd.p || !cd.db)
		return EXC(VEC_GP, sel & ~3u);
	new_cpl = (cd.type & 4) ? (unsigned int)c->cpl : cd.dpl;	/* conforming keeps CPL */
	outer = new_cpl < (unsigned int)c->cpl;

	eflags = cpu_get_eflags(c);
	esp = cpu_gpr(c, GPR_ESP);
	ss_sel = c->seg[SEG_SS].sel;
	ss_base = c->seg[SEG_SS].base;
	if (outer) {
		uint8_t t[10];

		if (c->tr_limit < 9)
			return EXC(VEC_TS, c->tr & ~3u);
		rc = paging_read(vm, c->tr_base + 4, t, 6, PG_NOAD);
		if (rc)
			return rc;
		new_esp = t[0] | t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
		ss_sel = (uint16_t)(t[4] | t[5] << 8);
		rc = cpu_read_desc(c, ss_sel, &sd);
		if (rc)
			return rc;
		ss_base = sd.base;
		irq_put32(frame + 20 - 4 * !has_err, c->seg[SEG_SS].sel);
		irq_put32(frame + 16 - 4 * !has_err, esp);
		n = 8;
	} else {
		new_esp = esp;
	}
	if (has_err) {
		irq_put32(frame, err);
		n += 4;
	}
	irq_put32(frame + (has_err ? 4 : 0), cpu_eip(c));
	irq_put32(frame + (has_err ? 8 : 4), c->seg[SEG_CS].sel);
	irq_put32(frame + (has_err ? 12 : 8), eflags);
	n += 12;
	new_esp -= n;
	rc = paging_write(vm, ss_base + new_esp, frame, n, 0);
	if (rc)
		return rc;

	/* The frame is written: commit. */
	c->cpl = (int)new_cpl;
	if (outer) {
		rc = cpu_load_seg(c, SEG_SS, (uint16_t)((ss_sel & ~3u) | new_cpl), NULL);
		if (rc)
			return rc;
	}
	rc = cpu_load_seg(c, SEG_CS, (uint16_t)((sel & ~3u) | new_cpl), NULL);
	if (rc)
		return rc;
	c->cpl = (int)new_cpl;
	cpu_set_gpr(c, GPR_ESP, new_esp);
	cpu_set_eip(c, off);
	eflags &= ~(FL_TF | FL_NT);
	if (type == 0x0e)
		eflags &= ~FL_IF;
	cpu_set_eflags(c, eflags);
	if (vec == VEC_PF && src == IRQ_EXC)
		c->cr2 = c->pf_addr;
	vm->stats.vector[vec & 0xff]++;
	return 0;
}

/**
 * irq_deliver() - deliver a vector to the guest
 * @vm:		virtual machine (the register file holds the state to return to)
 * @vec:	vector
 * @src:	hardware interrupt, software interrupt or exception
 * @has_err:	push @err
 * @err:	error code
 *
 * Faults while delivering escalate to #DF and then to a triple fault, which
 * requests the exit of the VM.
 *
 * Return: 0 when delivered, -EFAULT on triple fault, or -errno.
 */
int irq_deliver(struct vm *vm, unsigned int vec, enum irq_source src,
		bool has_err, uint32_t err)
{
	int rc = irq_try(vm, vec, src, has_err, err);

	if (rc > 0 && vec != VEC_DF) {
		if (vec == VEC_PF && src == IRQ_EXC)
			vm->cpu.cr2 = vm->cpu.pf_addr;
		rc = irq_try(vm, VEC_DF, IRQ_EXC, true, 0);
	}
	if (rc > 0) {
		vm_request_exit(vm, 3, "triple fault delivering vector %u at %#x (nested #%u err %#x)",
				vec, cpu_eip(&vm->cpu), EXC_VEC(rc), EXC_ERR(rc));
		return -EFAULT;
	}
	if (rc < 0)
		vm_request_exit(vm, 2, "cannot deliver vector %u at %#x: %s", vec,
				cpu_eip(&vm->cpu), strerror(-rc));
	return rc;
}

/**
 * irq_raise_exc() - deliver an exception code returned by an emulation step
 * @vm:		virtual machine, EIP at the faulting instruction
 * @exc:	EXC() code
 *
 * Return: as irq_deliver().
 */
int irq_raise_exc(struct vm *vm, int exc)
{
	unsigned int vec = EXC_VEC(exc);

	return irq_deliver(vm, vec, IRQ_EXC, irq_exc_has_err(vec), EXC_ERR(exc));
}

/**
 * irq_iret() - emulate a 32-bit iret
 * @vm:		virtual machine, EIP at the iret
 *
 * Return: 0, EXC() for the guest, or -errno (nested task / vm86 return).
 */
int irq_iret(struct vm *vm)
{
	struct cpu *c = &vm->cpu;
	uint32_t esp = cpu_gpr(c, GPR_ESP), f[5], old_cpl = (uint32_t)c->cpl;
	uint32_t keep;
	int rc;

	if (c->vflags & FL_NT)
		return -ENOTSUP;
	rc = paging_read(vm, c->seg[SEG_SS].base + esp, f, 12, c->cpl == 3 ? PG_USER : 0);
	if (rc)
		return rc;
	if (f[2] & 0x20000)			/* VM */
		return -ENOTSUP;
	f[1] = cpu_guest_sel(c, (uint16_t)f[1]);
	if ((f[1] & 3) < old_cpl)
		return EXC(VEC_GP, f[1] & 0xfffc);
	if ((f[1] & 3) > old_cpl) {
		rc = paging_read(vm, c->seg[SEG_SS].base + esp + 12, f + 3, 8,
				 c->cpl == 3 ? PG_USER : 0);
		if (rc)
			return rc;
	}
	rc = cpu_load_seg(c, SEG_CS, (uint16_t)f[1], NULL);
	if (rc)
		return rc;
	if ((f[1] & 3) > old_cpl) {
		rc = cpu_load_seg(c, SEG_SS, (uint16_t)f[4], NULL);
		if (rc)
			return rc;
		cpu_set_gpr(c, GPR_ESP, f[3]);
	} else {
		cpu_set_gpr(c, GPR_ESP, esp + 12);
	}
	cpu_set_eip(c, f[0]);
	keep = old_cpl ? (FL_IOPL | (old_cpl > ((c->vflags & FL_IOPL) >> 12) ? FL_IF : 0)) : 0;
	cpu_set_eflags(c, (f[2] & ~keep) | (c->vflags & keep));
	return 0;
}

/**
 * irq_check() - deliver the PIC's pending interrupt if the guest takes it
 * @vm:		virtual machine
 *
 * Return: true when an interrupt was delivered.
 */
bool irq_check(struct vm *vm)
{
	int vec;

	if (!(vm->cpu.vflags & FL_IF) || vm->exit_req || pic_pending(&vm->pic) < 0)
		return false;
	vec = pic_ack(&vm->pic);
	vm->stats.kind[TRAP_IRQ]++;
	return irq_deliver(vm, (unsigned int)vec, IRQ_HW, false, 0) == 0;
}
