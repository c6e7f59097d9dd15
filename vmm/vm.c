// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* vm.c - build the machine (RAM, vCPU, devices, kernel), run it, free it.
 *
 * Theory of operation: vm_init() acquires every host resource in order --
 * the low 4 GiB reservation, the RAM memfd, capstone, the host LDT, the
 * device table, the loaded kernel, the console, the trap path -- and
 * vm_free() releases whatever was acquired, in reverse, on every exit path
 * (a failed init included).  The vCPU starts as the 32-bit boot protocol
 * says: protected mode, paging off, flat __BOOT_CS/__BOOT_DS from the boot
 * GDT the loader wrote, interrupts off, %esi at the zero page.
 */

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/boot.h"
#include "vmm/console.h"
#include "vmm/emul.h"
#include "vmm/vm.h"

uint64_t vm_now(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A CLOCK_MONOTONIC_RAW reading paired with the TSC read around it. */
static void vm_tsc_pair(uint64_t *tsc, uint64_t *ns)
{
	struct timespec ts;
	uint64_t a, b;
	int i;

	for (i = 0; i < 100; i++) {
		a = __builtin_ia32_rdtsc();
		clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
		b = __builtin_ia32_rdtsc();
		if (b - a < 2000)		/* not interrupted in between */
			break;
	}
	*tsc = a + (b - a) / 2;
	*ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/**
 * vm_tsc_khz() - measure the host TSC rate against CLOCK_MONOTONIC_RAW
 *
 * Over 5 ms, each end a clock reading bracketed by two TSC reads: good to
 * a few ppm.
 *
 * Return: kHz, or 0 if the clock misbehaved.
 */
static uint32_t vm_tsc_khz(void)
{
	uint64_t t0, n0, t1, n1;

	vm_tsc_pair(&t0, &n0);
	do
		vm_tsc_pair(&t1, &n1);
	while (n1 - n0 < 5000000);
	if (t1 <= t0)
		return 0;
	return (uint32_t)((t1 - t0) * 1000000ull / (n1 - n0));
}

static time_t vm_wallclock(void)
{
	return time(NULL);
}

/**
 * vm_request_exit() - end the VM at the next opportunity (first request wins)
 * @vm:		virtual machine
 * @code:	process exit status
 * @fmt:	reason, printf format
 */
void vm_request_exit(struct vm *vm, int code, const char *fmt, ...)
{
	va_list ap;

	if (vm->exit_req)
		return;
	vm->exit_req = true;
	vm->exit_code = code;
	va_start(ap, fmt);
	vsnprintf(vm->exit_why, sizeof(vm->exit_why), fmt, ap);
	va_end(ap);
}

/**
 * vm_power_handler() - ports 0x604 (power off), 0x501 (debug exit), 0x80,
 * 0x64 (keyboard controller: only its reset command)
 * @cpu:	vCPU
 * @port:	port
 * @data:	value
 * @len:	access size
 * @is_write:	direction
 * @opaque:	struct vm
 *
 * Return: 0.
 */
int vm_power_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
		     unsigned int len, bool is_write, void *opaque)
{
	struct vm *vm = opaque;
	uint32_t v = data[0] | (len > 1 ? (uint32_t)data[1] << 8 : 0);

	if (!is_write) {
		/* no keyboard controller: its status reads as all ones */
		memset(data, port == VM_PORT_KBD ? 0xff : 0, len);
		return 0;
	}
	if (port == VM_PORT_KBD && v == 0xfe)
		vm_request_exit(vm, 0, "guest reset (keyboard controller)");
	else if (port == VM_PORT_POWEROFF && (v & 0x2000))
		vm_request_exit(vm, 0, "guest powered off");
	else if (port == VM_PORT_DEBUG_EXIT)
		vm_request_exit(vm, (int)(((v & 0x7f) << 1) | 1), "guest debug exit %#x", v);
	return 0;
}

static void vm_uart_irq(void *opaque, int level)
{
	struct vm *vm = opaque;

	pic_set_irq(&vm->pic, 4, level);
}

static int vm_devices(struct vm *vm)
{
	int rc = 0;

	pic_init(&vm->pic);
	pit_init(&vm->pit, vm_now, NULL);
	uart_init(&vm->uart, console_tx, vm_uart_irq, vm);
	rtc_init(&vm->rtc, vm_wallclock, vm->mem.size);
	rc |= io_register(&vm->io, 0x20, 2, pic_io_handler, &vm->pic, "pic1");
	rc |= io_register(&vm->io, 0xa0, 2, pic_io_handler, &vm->pic, "pic2");
	rc |= io_register(&vm->io, 0x40, 4, pit_io_handler, &vm->pit, "pit");
	rc |= io_register(&vm->io, 0x61, 1, pit_port61_handler, &vm->pit, "port61");
	rc |= io_register(&vm->io, 0x70, 2, rtc_io_handler, &vm->rtc, "rtc");
	rc |= io_register(&vm->io, 0x3f8, 8, uart_io_handler, &vm->uart, "ttyS0");
	rc |= io_register(&vm->io, VM_PORT_POWEROFF, 2, vm_power_handler, vm, "poweroff");
	rc |= io_register(&vm->io, VM_PORT_DEBUG_EXIT, 1, vm_power_handler, vm, "debug-exit");
	rc |= io_register(&vm->io, VM_PORT_POST, 1, vm_power_handler, vm, "post");
	rc |= io_register(&vm->io, VM_PORT_KBD, 1, vm_power_handler, vm, "kbd-reset");
	return rc ? -EBUSY : 0;
}

/* The CPU state the 32-bit boot protocol prescribes. */
static int vm_cpu_boot(struct vm *vm, const struct boot_entry *e)
{
	struct cpu *c = &vm->cpu;
	int rc, r;

	c->gdtr.base = BOOT_GDT_GPA;
	c->gdtr.limit = 31;
	c->idtr.base = 0;
	c->idtr.limit = 0;
	c->cr0 = CR0_PE | CR0_ET;
	rc = cpu_load_seg(c, SEG_CS, BOOT_SEL_CS, NULL);
	for (r = 0; !rc && r < SEG_NR; r++)
		if (r != SEG_CS)
			rc = cpu_load_seg(c, (enum cpu_sreg)r, BOOT_SEL_DS, NULL);
	if (rc)
		return rc < 0 ? rc : -EINVAL;
	c->regs[REG_RIP] = e->eip;
	c->regs[REG_RSI] = e->esi;
	c->regs[REG_EFL] = 0x2;
	c->vflags = 0;
	return 0;
}

/**
 * vm_init() - build the machine and load the kernel
 * @vm:		virtual machine, zeroed by the caller
 * @cfg:	configuration
 *
 * Return: 0, or -errno after printing why; vm_free() must be called either way.
 */
int vm_init(struct vm *vm, const struct vm_config *cfg)
{
	struct boot_entry e;
	int rc;

	vm->console_fd = -1;
	vm->mem.fd = -1;
	vm->net.fd = -1;
	vm->trace = cfg->trace;
	vm->trace_all = getenv("ULVM_TRACE_ALL") != NULL;
	rc = mem_reserve_low(&vm->mem);
	if (rc) {
		err("cannot reserve the guest's low 4 GiB: %s", strerror(-rc));
		return rc;
	}
	{
		bool reserved = vm->mem.reserved;

		rc = mem_init(&vm->mem, cfg->mem_size);
		vm->mem.reserved = reserved;
	}
	if (rc) {
		err("cannot allocate %llu MiB of guest RAM: %s",
		    (unsigned long long)(cfg->mem_size >> 20), strerror(-rc));
		return rc;
	}
	rc = emul_init(vm);
	if (rc) {
		err("capstone: cannot open the x86-32 decoder");
		return rc;
	}
	rc = cpu_init(&vm->cpu, vm);
	if (rc) {
		err("modify_ldt: %s", strerror(-rc));
		return rc;
	}
	rc = vm_devices(vm);
	if (rc) {
		err("device table: overlapping port ranges");
		return rc;
	}
	if (cfg->net) {
		rc = netdev_init(&vm->net, cfg->net, &vm->mem, &vm->pic);
		if (rc)
			return rc;
		rc = netdev_register(&vm->net, &vm->io);
		if (rc) {
			err("device table: the network device's ports are taken");
			return rc;
		}
	}
	rc = boot_load(vm, cfg->kernel, cfg->initrd, cfg->cmdline, vm_tsc_khz(), &e);
	if (rc)
		return rc;
	rc = vm_cpu_boot(vm, &e);
	if (rc) {
		err("cannot set up the boot CPU state: %s", strerror(-rc));
		return rc;
	}
	console_init(vm);
	rc = trap_init(vm);
	if (rc) {
		err("cannot set up the trap path: %s", strerror(-rc));
		return rc;
	}
	if (vm->trace)
		info("%s kernel, entry %#x, %llu MiB RAM", e.kind, e.eip,
		     (unsigned long long)(vm->mem.size >> 20));
	return 0;
}

/**
 * vm_run() - run the guest to its end and report why it ended
 * @vm:		virtual machine after vm_init()
 *
 * Return: process exit status.
 */
int vm_run(struct vm *vm)
{
	int code = trap_run(vm);

	console_restore();
	if (vm->exit_why[0] && (code || vm->trace))
		info("%s (exit status %d)", vm->exit_why, code);
	if (vm->trace) {
		trap_print_stats(vm);
		if (vm->net.path)
			netdev_print_stats(&vm->net);
	}
	return code;
}

/**
 * vm_free() - release every host resource the VM holds
 * @vm:		virtual machine, after vm_init() (successful or not)
 */
void vm_free(struct vm *vm)
{
	trap_fini(vm);
	console_restore();
	emul_fini(vm);
	hc_fini(vm);
	sites_free(&vm->sites);
	netdev_free(&vm->net);
	mem_free(&vm->mem);
}
