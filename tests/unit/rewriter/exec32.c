// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* exec32.c - run rewritten 32-bit guest code natively (compatibility mode) inside a unit test. */

/*
 * Theory of operation
 *
 * The stubs must preserve registers and flags; the only honest proof is
 * to run them.  We map the rewritten text, the patch area, a vCPU page
 * and a harness page at fixed addresses below 4 GiB, then from 64-bit C
 * call a small 64-bit entry (in the harness page) that saves the
 * callee-saved registers, switches to a low stack and far-jumps through
 * selector 0x23 (the host's 32-bit user code segment) into 32-bit harness
 * code.  That code loads DS/ES with 0x2b, the input registers and flags,
 * calls the guest function, stores registers and flags, and far-jumps
 * back through 0x33 to a 64-bit exit that restores the C context.  The
 * vCPU page's far pointer points at a 32-bit fake monitor in the harness
 * page that records the site id and clears @pending.  All machine code
 * is written byte by byte below.
 */

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "rewriter/elf32.h"
#include "rewriter/vcpu_abi.h"
#include "tests/unit/rewriter/exec32.h"

#define EX_SIZE 0x10000u
/* Harness layout (offsets in the harness page) */
#define EX_H_E64 0x000   /* 64-bit entry */
#define EX_H_R64 0x080   /* 64-bit return */
#define EX_H_C32 0x100   /* 32-bit body */
#define EX_H_MON 0x300   /* 32-bit fake monitor */
#define EX_H_FAR 0x400   /* far pointer to the 32-bit body */
#define EX_H_RSP 0x410   /* saved 64-bit rsp */
#define EX_H_IN 0x420    /* struct ex_regs in */
#define EX_H_OUT 0x460   /* struct ex_regs out */
#define EX_H_MONST 0x4a0 /* struct ex_monitor */
#define EX_H_STACK 0xf000 /* top of the 32-bit stack */

static int ex_mapped;

/**
 * struct ex_asm - a byte cursor for hand assembly
 * @p:		buffer
 * @n:		bytes written
 */
struct ex_asm {
	uint8_t *p;
	size_t n;
};

static void ex_b(struct ex_asm *a, const char *bytes, size_t len)
{
	memcpy(a->p + a->n, bytes, len);
	a->n += len;
}

static void ex_u32(struct ex_asm *a, uint32_t v)
{
	rw_put_le32(a->p + a->n, v);
	a->n += 4;
}

#define EX_B(a, s) ex_b(a, s, sizeof(s) - 1)

/**
 * ex_setup() - map everything and write the harness
 * @text:	rewritten text bytes (mapped at EX_TEXT)
 * @tlen:	their number (< 64 KiB)
 * @patch:	patch area bytes (mapped at EX_PATCH)
 * @plen:	their number (< 64 KiB)
 *
 * Return: 0, or -errno when the fixed mappings are not possible (skip).
 */
int ex_setup(const uint8_t *text, size_t tlen, const uint8_t *patch, size_t plen)
{
#if defined(__x86_64__)
	static const uint32_t bases[] = { EX_TEXT, EX_PATCH, EX_VCPU, EX_HARN };
	struct ulvm_vcpu_page *v;
	struct ex_asm a;
	size_t i;
	uint32_t r;

	if (tlen > EX_SIZE || plen > EX_SIZE)
		return -E2BIG;
	for (i = 0; i < 4; i++) {
		void *p = mmap((void *)(uintptr_t)bases[i], EX_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if (p == MAP_FAILED || p != (void *)(uintptr_t)bases[i]) {
			int e = p == MAP_FAILED ? errno : EEXIST;

			if (p != MAP_FAILED)
				munmap(p, EX_SIZE);
			while (i--)
				munmap((void *)(uintptr_t)bases[i], EX_SIZE);
			return -e;
		}
	}
	ex_mapped = 1;
	memcpy((void *)(uintptr_t)EX_TEXT, text, tlen);
	if (plen)
		memcpy((void *)(uintptr_t)EX_PATCH, patch, plen);
	v = (struct ulvm_vcpu_page *)(uintptr_t)EX_VCPU;
	v->magic = ULVM_VCPU_MAGIC;
	v->version = ULVM_VCPU_ABI_VERSION;
	v->call_off = EX_HARN + EX_H_MON;
	v->call_sel = 0x23;

	/* 64-bit entry: save callee-saved registers, low stack, ljmp *far */
	a.p = (uint8_t *)(uintptr_t)EX_HARN + EX_H_E64;
	a.n = 0;
	EX_B(&a, "\x53\x55\x41\x54\x41\x55\x41\x56\x41\x57"); /* push rbx rbp r12-r15 */
	EX_B(&a, "\x48\x89\x24\x25");			      /* mov %rsp, abs32 */
	ex_u32(&a, EX_HARN + EX_H_RSP);
	EX_B(&a, "\xbc");				      /* mov $stack, %esp */
	ex_u32(&a, EX_HARN + EX_H_STACK);
	EX_B(&a, "\xff\x2c\x25");			      /* ljmp *abs32 */
	ex_u32(&a, EX_HARN + EX_H_FAR);
	rw_put_le32((uint8_t *)(uintptr_t)EX_HARN + EX_H_FAR, EX_HARN + EX_H_C32);
	((uint8_t *)(uintptr_t)EX_HARN)[EX_H_FAR + 4] = 0x23;

	/* 64-bit return: restore rsp and registers, ret */
	a.p = (uint8_t *)(uintptr_t)EX_HARN + EX_H_R64;
	a.n = 0;
	EX_B(&a, "\x48\x8b\x24\x25"); /* mov abs32, %rsp */
	ex_u32(&a, EX_HARN + EX_H_RSP);
	EX_B(&a, "\x41\x5f\x41\x5e\x41\x5d\x41\x5c\x5d\x5b\xc3");

	/* 32-bit body */
	a.p = (uint8_t *)(uintptr_t)EX_HARN + EX_H_C32;
	a.n = 0;
	EX_B(&a, "\xb8\x2b\x00\x00\x00\x8e\xd8\x8e\xc0"); /* ds = es = 0x2b */
	r = EX_HARN + EX_H_IN;
	EX_B(&a, "\xff\x35");	/* push in.eflags */
	ex_u32(&a, r + 32);
	EX_B(&a, "\x9d");	/* popf */
	EX_B(&a, "\xa1");	/* mov in.eax, %eax */
	ex_u32(&a, r + 0);
	EX_B(&a, "\x8b\x1d");
	ex_u32(&a, r + 4);
	EX_B(&a, "\x8b\x0d");
	ex_u32(&a, r + 8);
	EX_B(&a, "\x8b\x15");
	ex_u32(&a, r + 12);
	EX_B(&a, "\x8b\x35");
	ex_u32(&a, r + 16);
	EX_B(&a, "\x8b\x3d");
	ex_u32(&a, r + 20);
	EX_B(&a, "\x8b\x2d");
	ex_u32(&a, r + 24);
	EX_B(&a, "\xff\x15");	/* call *entry (stored at in.esp) */
	ex_u32(&a, r + 28);
	r = EX_HARN + EX_H_OUT;
	EX_B(&a, "\x9c\x8f\x05"); /* pushf; pop out.eflags */
	ex_u32(&a, r + 32);
	EX_B(&a, "\xa3");
	ex_u32(&a, r + 0);
	EX_B(&a, "\x89\x1d");
	ex_u32(&a, r + 4);
	EX_B(&a, "\x89\x0d");
	ex_u32(&a, r + 8);
	EX_B(&a, "\x89\x15");
	ex_u32(&a, r + 12);
	EX_B(&a, "\x89\x35");
	ex_u32(&a, r + 16);
	EX_B(&a, "\x89\x3d");
	ex_u32(&a, r + 20);
	EX_B(&a, "\x89\x2d");
	ex_u32(&a, r + 24);
	EX_B(&a, "\x89\x25");
	ex_u32(&a, r + 28);
	EX_B(&a, "\xea");	/* ljmp $0x33, $r64 */
	ex_u32(&a, EX_HARN + EX_H_R64);
	EX_B(&a, "\x33\x00");

	/* 32-bit fake monitor: record the id, clear pending, keep flags and eax */
	a.p = (uint8_t *)(uintptr_t)EX_HARN + EX_H_MON;
	a.n = 0;
	EX_B(&a, "\x9c\x50");		/* pushf; push %eax */
	EX_B(&a, "\x8b\x44\x24\x10");	/* mov 16(%esp), %eax: the id */
	EX_B(&a, "\xa3");
	ex_u32(&a, EX_HARN + EX_H_MONST + 4);
	EX_B(&a, "\xff\x05");		/* incl calls */
	ex_u32(&a, EX_HARN + EX_H_MONST);
	EX_B(&a, "\xc6\x05");		/* movb $0, pending */
	ex_u32(&a, EX_VCPU + ULVM_VCPU_OFF_PENDING);
	EX_B(&a, "\x00");
	EX_B(&a, "\x58\x9d\xcb");	/* pop %eax; popf; lret */
	return 0;
#else
	return -ENOTSUP;
#endif
}

/**
 * ex_call() - call a guest function in compatibility mode
 * @entry:	its address
 * @in:		registers and flags to start with (esp ignored)
 * @out:	registers and flags after it returned
 * @mon:	what the fake monitor saw
 *
 * Return: 0, or -ENOTSUP off x86-64.
 */
int ex_call(uint32_t entry, const struct ex_regs *in, struct ex_regs *out, struct ex_monitor *mon)
{
#if defined(__x86_64__)
	struct ex_regs *hin = (struct ex_regs *)(uintptr_t)(EX_HARN + EX_H_IN);
	struct ex_regs *hout = (struct ex_regs *)(uintptr_t)(EX_HARN + EX_H_OUT);
	struct ex_monitor *hmon = (struct ex_monitor *)(uintptr_t)(EX_HARN + EX_H_MONST);
	void (*enter)(void) = (void (*)(void))(uintptr_t)(EX_HARN + EX_H_E64);

	*hin = *in;
	hin->esp = entry;
	memset(hout, 0, sizeof(*hout));
	memset(hmon, 0, sizeof(*hmon));
	/* Step over the red zone: the harness pushes on this stack. */
	__asm__ volatile("sub $128, %%rsp\n\tcall *%0\n\tadd $128, %%rsp" : : "r"(enter) : "memory", "rax", "rcx", "rdx", "rsi", "rdi",
			 "r8", "r9", "r10", "r11", "cc");
	*out = *hout;
	*mon = *hmon;
	return 0;
#else
	return -ENOTSUP;
#endif
}

/**
 * ex_vcpu() - the vCPU page
 *
 * Return: its address in the test process.
 */
struct ulvm_vcpu_page *ex_vcpu(void)
{
	return (struct ulvm_vcpu_page *)(uintptr_t)EX_VCPU;
}

/**
 * ex_teardown() - unmap everything ex_setup() mapped
 */
void ex_teardown(void)
{
	if (!ex_mapped)
		return;
	munmap((void *)(uintptr_t)EX_TEXT, EX_SIZE);
	munmap((void *)(uintptr_t)EX_PATCH, EX_SIZE);
	munmap((void *)(uintptr_t)EX_VCPU, EX_SIZE);
	munmap((void *)(uintptr_t)EX_HARN, EX_SIZE);
	ex_mapped = 0;
}
