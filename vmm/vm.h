/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* vm.h - the virtual machine: one vCPU, guest RAM, devices, trap counters. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/cpu.h"
#include "vmm/hypercall.h"
#include "vmm/io.h"
#include "vmm/mem.h"
#include "vmm/netdev.h"
#include "vmm/pic.h"
#include "vmm/pit.h"
#include "vmm/rtc.h"
#include "vmm/sites.h"
#include "vmm/trap.h"
#include "vmm/uart.h"

/* Ports of the monitor's own simple devices. */
#define VM_PORT_POWEROFF	0x604	/* write 0x2000 (16 bit): power off, exit 0 */
#define VM_PORT_DEBUG_EXIT	0x501	/* write v: exit with status (v << 1) | 1 */
#define VM_PORT_POST		0x80	/* POST codes / I/O delay: ignored */
#define VM_PORT_KBD		0x64	/* keyboard controller: 0xfe resets (exit 0) */

/**
 * struct vm - the virtual machine
 * @mem:	guest RAM
 * @cpu:	the vCPU
 * @io:		port table
 * @pic:	interrupt controllers
 * @pit:	interval timer
 * @uart:	ttyS0
 * @rtc:	CMOS clock
 * @net:	ulvmnet network device (link down when --net was not given)
 * @sites:	site table of a kernel rewritten by ulvm-rewrite (empty if none)
 * @hc:		stub mode: vCPU page, patch area, monitor calls
 * @capstone:	capstone handle (csh) for the guest's 32-bit code
 * @cs_insn:	capstone instruction buffer reused by every decode
 * @trace:	--trace given: print trap counts at exit
 * @trace_all:	log every emulated instruction (ULVM_TRACE_ALL=1 in the environment)
 * @stats:	trap counters by kind and by emulated instruction
 * @exit_req:	the guest is finished: leave the trap loop
 * @exit_code:	process exit status once @exit_req
 * @exit_why:	human reason for the exit
 * @t_start:	host time at the first guest entry, ns
 * @console_fd:	input file descriptor (stdin), -1 if none
 */
struct vm {
	struct mem mem;
	struct cpu cpu;
	struct io io;
	struct pic pic;
	struct pit pit;
	struct uart uart;
	struct rtc rtc;
	struct netdev net;
	struct sites sites;
	struct hypercall hc;
	uintptr_t capstone;
	void *cs_insn;
	bool trace, trace_all;
	struct trap_stats stats;
	bool exit_req;
	int exit_code;
	char exit_why[160];
	uint64_t t_start;
	int console_fd;
};

/**
 * struct vm_config - what the command line asks for
 * @kernel:	kernel image path
 * @initrd:	initial ramdisk path, or NULL
 * @cmdline:	kernel command line, or NULL
 * @mem_size:	guest RAM bytes
 * @trace:	print trap counts at exit
 * @net:	Unix socket of the network daemon (slirpish --socket), or NULL
 */
struct vm_config {
	const char *kernel, *initrd, *cmdline, *net;
	uint64_t mem_size;
	bool trace;
};

int vm_init(struct vm *vm, const struct vm_config *cfg) WARN_UNUSED;
void vm_free(struct vm *vm);
int vm_run(struct vm *vm);
void vm_request_exit(struct vm *vm, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint64_t vm_now(void *opaque);
int vm_power_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		     unsigned int len, bool is_write, void *opaque);

#endif /* VMM_VM_H */
