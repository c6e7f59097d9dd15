/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* trap.h - guest entry and the trap path: host signals in, emulation out. */
#ifndef VMM_TRAP_H
#define VMM_TRAP_H

#include <stdint.h>

#include "vmm/util.h"

/* Why the guest stopped running natively. */
enum trap_kind {
	TRAP_EMUL,		/* #GP on a sensitive instruction: emulated */
	TRAP_PF_MAP,		/* host page fault: guest mapping brought in */
	TRAP_PF_GUEST,		/* page fault delivered to the guest */
	TRAP_EMUL_MEM,		/* access to unmappable page 0 emulated */
	TRAP_SEGFIX,		/* a natively loaded host selector replaced */
	TRAP_EXC_GUEST,		/* other exception delivered to the guest */
	TRAP_BREAKPOINT,	/* int3 of the guest's own */
	TRAP_SITE,		/* int3 of a rewritten site: emulated */
	TRAP_SYSCALL,		/* int $0x80 caught by Syscall User Dispatch */
	TRAP_TIMER,		/* host timer signal: devices polled */
	TRAP_HALT,		/* hlt: waited for an interrupt */
	TRAP_IRQ,		/* hardware interrupt delivered */
	TRAP_HOSTSIG,		/* SIGTERM/SIGINT/SIGHUP from the host */
	TRAP_NR
};

#define TRAP_INSN_MAX	2048	/* > capstone's X86_INS_ENDING */

/**
 * struct trap_stats - what --trace prints
 * @kind:	traps by enum trap_kind
 * @insn:	emulated instructions by capstone instruction id
 * @vector:	interrupts and exceptions delivered, by vector
 * @handler_ns:	host time spent in the trap handler
 */
struct trap_stats {
	uint64_t kind[TRAP_NR];
	uint64_t insn[TRAP_INSN_MAX];
	uint64_t vector[256];
	uint64_t handler_ns;
};

struct vm;

int trap_init(struct vm *vm) WARN_UNUSED;
void trap_fini(struct vm *vm);
int trap_run(struct vm *vm);
const char *trap_kind_name(enum trap_kind k);
void trap_print_stats(const struct vm *vm);

#endif /* VMM_TRAP_H */
