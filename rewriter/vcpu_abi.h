/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* vcpu_abi.h - the contract between rewritten guest code (stubs) and the monitor. */
#ifndef ULVM_REWRITER_VCPU_ABI_H
#define ULVM_REWRITER_VCPU_ABI_H

/*
 * Theory of operation
 *
 * ulvm-rewrite replaces each sensitive instruction of the guest kernel by
 * either a jump to a stub in the patch area or a one-byte trap (int3).
 * Both need the monitor's help at run time; this header is everything the
 * monitor must provide, compiled on both sides.
 *
 * Address space.  The patch area (stubs) and the virtual-CPU page live at
 * fixed guest virtual addresses at the top of the 4 GiB space, recorded in
 * the site-table header (ulvm_st_header.patch_vaddr / .vcpu_vaddr; the
 * defaults are below).  The guest kernel must never use them: the monitor
 * passes "reservetop=16M" on the i386 Linux command line, which keeps the
 * kernel's fixmap below ULVM_RESERVED_BASE.  The monitor maps both ranges
 * in every guest address space, independently of the guest page tables:
 * the patch area read+execute, the vCPU page read+write.
 *
 * Stubs address the page with an %ss override: in guest kernel mode SS
 * is always the kernel's flat data segment, whatever DS holds (on i386
 * Linux the kernel runs with __USER_DS in DS/ES, which the monitor may
 * give a 3 GiB limit).
 *
 * The vCPU page.  The stubs for cli, sti, pushf and popf (32-bit forms)
 * never leave guest mode: the guest's interrupt flag is the byte @vif of
 * the page (1 = interrupts enabled), and the real EFLAGS.IF stays 1 (CPL3).
 * The monitor delivers an interrupt only when @vif is 1; otherwise it sets
 * @pending, and the stub that sets @vif back to 1 (sti, or popf of a value
 * with IF set) then calls the monitor, which delivers it.  Stubs preserve
 * every register and every arithmetic flag; pushf pushes the real flags
 * with IF replaced by @vif (IOPL reads as 0).
 *
 * Monitor calls.  Every other site's stub does
 *
 *	pushl $site_id			; 68 id32
 *	lcall *%ss:vcpu.call_off	; 36 ff 1d <vcpu_vaddr + 0x0c>
 *	leal 4(%esp), %esp		; 8d 64 24 04 (does not touch flags)
 *
 * so at the trampoline (64-bit code below 4 GiB, entered through the far
 * pointer the monitor stores in the page) the guest stack holds, from its
 * top: return EIP (the leal above, recorded as ulvm_st_site.call_ret), the
 * guest CS, and the site id.  All general registers and EFLAGS are exactly
 * what the original instruction would have seen, except ESP, which is 12
 * lower.  The monitor emulates the original instruction (its bytes are in
 * the site table, indexed by the id), writes back registers, flags and
 * memory, and returns with lretl.  A fault raised by the emulation is
 * delivered to the guest as if the original instruction at its original
 * address had raised it (EIP = site vaddr, ESP back up by 12): the
 * kernel's exception table then finds its fixup (ULVM_SITE_F_EXTABLE).  For the control transfers (iret, far
 * jmp/call/ret, sysexit: ULVM_SITE_F_NORETURN) it does not return to the
 * stub but resumes the guest where the instruction leads, after dropping
 * the 12 bytes; a ud2 follows the call as a guard.
 *
 * To deliver an interrupt from inside a monitor call (sti/popf with
 * @pending), the monitor builds the guest's interrupt frame so that the
 * handler's iret returns to call_ret with the id still on the stack.
 *
 * Traps.  A site left as int3 traps with EIP = site + 1: the monitor looks
 * the address up in the site table (sites flagged ULVM_SITE_F_PHYS run with
 * paging off, at vaddr - page_offset), emulates the original instruction
 * and resumes at vaddr + len.  An int3 at an address that is no site is the
 * guest's own (kprobes, text_poke) and goes to the guest's #BP handler.
 */

#include <stdint.h>

#define ULVM_VCPU_ABI_VERSION 1

/* Top 16 MiB of the guest's virtual space, kept free by reservetop=16M. */
#define ULVM_RESERVED_BASE 0xff000000u
/* Default guest VA of the patch area (stubs). */
#define ULVM_PATCH_VADDR_DEFAULT 0xff000000u
/* Default guest VA of the vCPU page. */
#define ULVM_VCPU_VADDR_DEFAULT 0xfffff000u

#define ULVM_VCPU_MAGIC 0x43564c55u /* "ULVC" */

/**
 * struct ulvm_vcpu_page - the page the stubs address absolutely
 * @magic:	ULVM_VCPU_MAGIC, written by the monitor
 * @version:	ULVM_VCPU_ABI_VERSION
 * @vif:	virtual EFLAGS.IF: 1 interrupts enabled, 0 disabled
 * @pending:	nonzero when the monitor holds an interrupt for the guest
 * @reserved0:	zero
 * @call_off:	offset of the monitor trampoline (far pointer, low half)
 * @call_sel:	its code selector (the host's 64-bit CS, 0x33)
 * @reserved1:	zero
 */
struct ulvm_vcpu_page {
	uint32_t magic;
	uint32_t version;
	uint8_t vif;
	uint8_t pending;
	uint16_t reserved0;
	uint32_t call_off;
	uint16_t call_sel;
	uint16_t reserved1;
};

#define ULVM_VCPU_OFF_VIF 0x08
#define ULVM_VCPU_OFF_PENDING 0x09
#define ULVM_VCPU_OFF_CALL 0x0c

_Static_assert(__builtin_offsetof(struct ulvm_vcpu_page, vif) == ULVM_VCPU_OFF_VIF, "vif");
_Static_assert(__builtin_offsetof(struct ulvm_vcpu_page, pending) == ULVM_VCPU_OFF_PENDING,
	       "pending");
_Static_assert(__builtin_offsetof(struct ulvm_vcpu_page, call_off) == ULVM_VCPU_OFF_CALL,
	       "call_off");
_Static_assert(sizeof(struct ulvm_vcpu_page) == 20, "vcpu page header size");

#endif /* ULVM_REWRITER_VCPU_ABI_H */
