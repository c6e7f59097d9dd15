// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* trap.c - running the guest: entry, the signal trap path, exit.
 *
 * Theory of operation: trap_run() enters the guest once, by iretq into
 * compatibility mode on the guest's host selectors, and returns only when
 * the VM is finished.  Everything in between happens in signal handlers:
 * every trap (#GP on a sensitive instruction, page fault, int3, #UD, #DE,
 * int $0x80 caught by Syscall User Dispatch, the host timer) is a signal
 * delivered on an alternate stack to trap_sig_stub, which
 *   - sets the SUD selector to ALLOW (libc may make syscalls),
 *   - saves the guest's FS selector and base and puts back the host's TLS
 *     base (the handler inherits the guest's FS),
 *   - calls trap_handler(), a switch on the trap reason that emulates,
 *     maps or delivers and rejects anything unknown loudly,
 *   - restores the guest FS and the selector, and returns through
 *     trap_restorer, which lies in the monitor's text, the one range SUD
 *     always allows.
 * After each trap the devices are brought up to date, pending interrupts
 * delivered and the host timer re-armed.  A handler ends the VM by editing
 * the frame so that sigreturn lands in trap_exit_stub, a 64-bit stub that
 * restores the monitor's registers and returns from trap_run().
 * Host signals are blocked while a handler runs, so handlers never nest; a
 * synchronous fault inside one kills the process (a monitor bug).
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <asm/ldt.h>
#include <capstone/capstone.h>

#include "guest-drivers/ulvmnet/ulvmnet_abi.h"
#include "vmm/console.h"
#include "vmm/emul.h"
#include "vmm/hypercall.h"
#include "vmm/irq.h"
#include "vmm/paging.h"
#include "vmm/trap.h"
#include "vmm/trap_priv.h"
#include "vmm/vm.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH	59
#define PR_SYS_DISPATCH_OFF		0
#define PR_SYS_DISPATCH_ON		1
#endif
#define TRAP_SUD_ALLOW		0
#define TRAP_SUD_BLOCK		1
#define TRAP_HOST_CS		0x33
#define TRAP_HOST_SS		0x2b
#define TRAP_ALTSTACK_SIZE	(256u << 10)
#define TRAP_TICK_NS		10000000ull	/* console poll period */
#define TRAP_TICK_IRQOFF_NS	100000000ull	/* the same with the virtual IF clear */

static const char *const trap_kind_names[] = {
	[TRAP_EMUL] = "emulated instruction (#GP)",
	[TRAP_PF_MAP] = "page fault: mapping made",
	[TRAP_PF_GUEST] = "page fault: delivered",
	[TRAP_EMUL_MEM] = "page 0 access emulated",
	[TRAP_SEGFIX] = "native segment load fixed",
	[TRAP_EXC_GUEST] = "other exception delivered",
	[TRAP_BREAKPOINT] = "int3 (guest's own)",
	[TRAP_SITE] = "int3 site emulated",
	[TRAP_SYSCALL] = "int $0x80 (SUD)",
	[TRAP_TIMER] = "host timer",
	[TRAP_HALT] = "hlt",
	[TRAP_IRQ] = "interrupt delivered",
	[TRAP_HOSTSIG] = "host signal",
};
_Static_assert(sizeof(trap_kind_names) / sizeof(trap_kind_names[0]) == TRAP_NR,
	       "trap_kind_names out of step with enum trap_kind");

/* State shared with the assembly stubs (names used from asm). */
struct trap_entry_frame {
	uint64_t rip, cs, rflags, rsp, ss;
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t ds, es, fs, gs;
};
_Static_assert(offsetof(struct trap_entry_frame, ds) == 96, "trap_enter offsets");

volatile uint8_t trap_sud_sel;
uint8_t trap_sud_saved;
uint64_t trap_host_rsp, trap_host_fsbase, trap_guest_fsbase;
uint16_t trap_guest_fs;

static struct vm *trap_vm;
static void *trap_altstack;
static timer_t trap_timer;
static bool trap_timer_ok;
static uint64_t trap_timer_at;
static bool trap_sud_on;
static int trap_sigfd = -1;

void trap_enter(const struct trap_entry_frame *f);
void trap_sig_stub(void);
void trap_restorer(void);
void trap_exit_stub(void);
void trap_handler(int sig, siginfo_t *si, ucontext_t *uc);
extern char __executable_start[], etext[];

__asm__(
	".text\n"
	".globl trap_enter\n"
	".type trap_enter,@function\n"
	"trap_enter:\n"
	"	push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"	mov %rsp, trap_host_rsp(%rip)\n"
	"	rdfsbase %rax\n"
	"	mov %rax, trap_host_fsbase(%rip)\n"
	"	mov %rdi, %r11\n"
	"	pushq 32(%r11)\n pushq 24(%r11)\n pushq 16(%r11)\n pushq 8(%r11)\n pushq 0(%r11)\n"
	"	mov 96(%r11), %eax\n mov %eax, %ds\n"
	"	mov 104(%r11), %eax\n mov %eax, %es\n"
	"	mov 112(%r11), %eax\n mov %eax, %fs\n"
	"	mov 120(%r11), %eax\n mov %eax, %gs\n"
	"	movb $1, trap_sud_sel(%rip)\n"
	"	mov 40(%r11), %rax\n mov 48(%r11), %rbx\n mov 56(%r11), %rcx\n"
	"	mov 64(%r11), %rdx\n mov 72(%r11), %rsi\n mov 80(%r11), %rdi\n"
	"	mov 88(%r11), %rbp\n"
	"	iretq\n"
	".size trap_enter, .-trap_enter\n"

	".globl trap_exit_stub\n"
	".type trap_exit_stub,@function\n"
	"trap_exit_stub:\n"
	"	movb $0, trap_sud_sel(%rip)\n"
	"	xor %eax, %eax\n mov %eax, %ds\n mov %eax, %es\n mov %eax, %fs\n mov %eax, %gs\n"
	"	mov trap_host_fsbase(%rip), %rax\n"
	"	wrfsbase %rax\n"
	"	mov trap_host_rsp(%rip), %rsp\n"
	"	pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n"
	"	ret\n"
	".size trap_exit_stub, .-trap_exit_stub\n"

	".globl trap_sig_stub\n"
	".type trap_sig_stub,@function\n"
	"trap_sig_stub:\n"
	/* a signal may interrupt a monitor call (hypercall.c), which keeps
	 * the guest's FS in the same variables: save them around */
	"	pushq trap_guest_fsbase(%rip)\n"
	"	movzwl trap_guest_fs(%rip), %eax\n"
	"	push %rax\n"
	"	movzbl trap_sud_sel(%rip), %eax\n"
	"	mov %al, trap_sud_saved(%rip)\n"
	"	movb $0, trap_sud_sel(%rip)\n"
	"	mov %fs, %eax\n"
	"	mov %ax, trap_guest_fs(%rip)\n"
	"	rdfsbase %rax\n"
	"	mov %rax, trap_guest_fsbase(%rip)\n"
	"	mov trap_host_fsbase(%rip), %rax\n"
	"	wrfsbase %rax\n"
	"	sub $8, %rsp\n"
	"	call trap_handler\n"
	"	add $8, %rsp\n"
	"	movzwl trap_guest_fs(%rip), %eax\n"
	"	mov %eax, %fs\n"
	"	mov trap_guest_fsbase(%rip), %rax\n"
	"	wrfsbase %rax\n"
	"	movzbl trap_sud_saved(%rip), %eax\n"
	"	mov %al, trap_sud_sel(%rip)\n"
	"	pop %rax\n"
	"	mov %ax, trap_guest_fs(%rip)\n"
	"	popq trap_guest_fsbase(%rip)\n"
	"	ret\n"
	".size trap_sig_stub, .-trap_sig_stub\n"

	".globl trap_restorer\n"
	".type trap_restorer,@function\n"
	"trap_restorer:\n"
	"	mov $15, %eax\n"		/* rt_sigreturn */
	"	syscall\n"
	"	hlt\n"
	".size trap_restorer, .-trap_restorer\n");

const char *trap_kind_name(enum trap_kind k)
{
	return (unsigned int)k < TRAP_NR ? trap_kind_names[k] : "?";
}

void trap_count_insn(unsigned int id)
{
	if (trap_vm && id < TRAP_INSN_MAX)
		trap_vm->stats.insn[id]++;
}

/**
 * trap_load_sreg() - give a guest data segment register its host selector
 * @r:		SEG_DS, SEG_ES, SEG_FS or SEG_GS
 * @host_sel:	host selector
 * @base:	its base (FS: restored by the stub as the FS base)
 *
 * Called in a trap handler: DS, ES and GS loaded here survive sigreturn;
 * FS is handed to the stub, which loads it last.
 */
void trap_load_sreg(int r, uint16_t host_sel, uint32_t base)
{
	uint32_t s = host_sel;

	switch (r) {
	case SEG_DS:
		__asm__ volatile("mov %0, %%ds" : : "r"(s));
		break;
	case SEG_ES:
		__asm__ volatile("mov %0, %%es" : : "r"(s));
		break;
	case SEG_GS:
		__asm__ volatile("mov %0, %%gs" : : "r"(s));
		break;
	case SEG_FS:
		trap_guest_fs = host_sel;
		trap_guest_fsbase = base;
		break;
	default:
		break;
	}
}

/* Raw rt_sigaction with our own restorer (glibc's lies outside SUD's range). */
struct trap_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static const int trap_signals[] = {
	SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS, SIGALRM, SIGTERM, SIGINT, SIGHUP,
};

static int trap_sigaction(int sig, bool install)
{
	struct trap_ksigaction a;
	unsigned int i;

	memset(&a, 0, sizeof(a));
	if (install) {
		a.handler = (void *)trap_sig_stub;
		a.flags = SA_SIGINFO | SA_ONSTACK | 0x04000000 /* SA_RESTORER */;
		a.restorer = (void *)trap_restorer;
		for (i = 0; i < ARRAY_SIZE(trap_signals); i++)
			a.mask |= 1ull << (trap_signals[i] - 1);
	} else {
		a.handler = SIG_DFL;
	}
	return syscall(SYS_rt_sigaction, sig, &a, NULL, 8) ? -errno : 0;
}

/**
 * trap_init() - signal handlers, alternate stack, SUD, host timer
 * @vm:		virtual machine
 *
 * Return: 0, or -errno.
 */
int trap_init(struct vm *vm)
{
	struct sigevent sev;
	stack_t ss;
	unsigned int i;
	int rc;

	trap_vm = vm;
	__asm__ volatile("rdfsbase %0" : "=r"(trap_host_fsbase));
	trap_altstack = mmap(NULL, TRAP_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (trap_altstack == MAP_FAILED) {
		trap_altstack = NULL;
		return -errno;
	}
	ss.ss_sp = trap_altstack;
	ss.ss_size = TRAP_ALTSTACK_SIZE;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL))
		return -errno;
	for (i = 0; i < ARRAY_SIZE(trap_signals); i++) {
		rc = trap_sigaction(trap_signals[i], true);
		if (rc)
			return rc;
	}
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGALRM;
	if (timer_create(CLOCK_MONOTONIC, &sev, &trap_timer))
		return -errno;
	trap_timer_ok = true;
	{
		/* hlt waits with every signal blocked: termination requests
		 * are seen through a signalfd instead. */
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGHUP);
		trap_sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		if (trap_sigfd < 0)
			return -errno;
	}
	trap_sud_sel = TRAP_SUD_ALLOW;
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		  (unsigned long)__executable_start,
		  (unsigned long)(etext - __executable_start), &trap_sud_sel))
		return -errno;
	trap_sud_on = true;
	return 0;
}

/**
 * trap_fini() - undo trap_init(), whatever part of it was done
 * @vm:		virtual machine
 */
void trap_fini(struct vm *vm)
{
	stack_t ss = { .ss_flags = SS_DISABLE };
	struct user_desc d;
	unsigned int i;

	if (trap_sud_on)
		prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	trap_sud_on = false;
	if (trap_sigfd >= 0)
		close(trap_sigfd);
	trap_sigfd = -1;
	if (trap_timer_ok)
		timer_delete(trap_timer);
	trap_timer_ok = false;
	for (i = 0; i < ARRAY_SIZE(trap_signals); i++)
		trap_sigaction(trap_signals[i], false);
	sigaltstack(&ss, NULL);
	if (trap_altstack)
		munmap(trap_altstack, TRAP_ALTSTACK_SIZE);
	trap_altstack = NULL;
	for (i = 0; i < CPU_LDT_SLOTS; i++) {
		if (!vm->cpu.ldt[i].used)
			continue;
		memset(&d, 0, sizeof(d));
		d.entry_number = i;
		d.read_exec_only = 1;
		d.seg_not_present = 1;
		syscall(SYS_modify_ldt, 1, &d, sizeof(d));
		vm->cpu.ldt[i].used = false;
	}
	trap_vm = NULL;
}

/* Arm the host timer for the next device deadline (or the console tick).
 * With the virtual IF clear no interrupt can be delivered before the next
 * sti/popf/iret, which traps and polls the devices anyway: only a slow
 * console tick then, so that a guest timing a loop with interrupts off
 * (Linux's PIT calibration of the TSC) is not disturbed. */
static void trap_arm_timer(struct vm *vm, uint64_t now)
{
	/* with stubs, sti and popf do not trap: always the device deadline */
	bool vif = (vm->cpu.vflags & FL_IF) || vm->hc.active;
	uint64_t at = now + (vif ? TRAP_TICK_NS : TRAP_TICK_IRQOFF_NS);
	struct itimerspec its;

	if (vif && vm->pit.irq_next < at)
		at = vm->pit.irq_next;
	if (at <= now)
		at = now + 1000;
	if (trap_timer_at > now && trap_timer_at <= at)
		return;				/* an earlier expiry is already set */
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(at / 1000000000ull);
	its.it_value.tv_nsec = (long)(at % 1000000000ull);
	if (!timer_settime(trap_timer, TIMER_ABSTIME, &its, NULL))
		trap_timer_at = at;
}

/* Bring the devices up to date with the host clock and input. */
static void trap_devices(struct vm *vm, uint64_t now, bool tick)
{
	if (pit_poll(&vm->pit, now)) {
		pic_set_irq(&vm->pic, 0, 1);
		pic_set_irq(&vm->pic, 0, 0);
	}
	if (tick) {
		netdev_poll(&vm->net);
		console_poll(vm);
		console_flush();
		if (console_panic_due(now))
			vm_request_exit(vm, 1, "guest kernel panic");
	}
}

/* Can any device still interrupt a halted guest? (Else it is dead.) */
static bool trap_wake_possible(const struct vm *vm)
{
	uint8_t imr = vm->pic.c[0].imr;

	if (vm->pit.irq_next != PIT_NEVER && !(imr & 0x01))
		return true;
	if (vm->net.fd >= 0 && (vm->net.ctrl & ULVMNET_CTRL_RX_IRQ))
		return true;
	return vm->console_fd >= 0 && (vm->uart.ier & 0x01) && (vm->uart.mcr & 0x08) &&
	       !(imr & 0x10);
}

/* hlt: sleep until an interrupt the guest takes is pending. */
static void trap_halt(struct vm *vm)
{
	vm->stats.kind[TRAP_HALT]++;
	console_flush();
	for (;;) {
		uint64_t now = vm_now(NULL), wait_ns = 1000000000ull;
		struct pollfd p[3] = {
			{ .fd = trap_sigfd, .events = POLLIN },
			{ .fd = vm->console_fd, .events = POLLIN },
			{ .fd = -1 },
		};
		struct signalfd_siginfo ssi;

		trap_devices(vm, now, true);
		if (vm->exit_req)
			return;
		if (!(vm->cpu.vflags & FL_IF)) {
			if (console_seen_event(CONSOLE_EV_POWEROFF) ||
			    console_seen_event(CONSOLE_EV_HALT))
				vm_request_exit(vm, 0, "guest powered off (halted after its shutdown)");
			else
				vm_request_exit(vm, 1, "guest halted with interrupts disabled at %#x",
						cpu_eip(&vm->cpu));
			return;
		}
		if (pic_pending(&vm->pic) >= 0)
			return;
		if (!trap_wake_possible(vm)) {
			vm_request_exit(vm, 1, "guest halted for good at %#x: no interrupt source armed",
					cpu_eip(&vm->cpu));
			return;
		}
		if (vm->pit.irq_next != PIT_NEVER)
			wait_ns = vm->pit.irq_next > now ? vm->pit.irq_next - now : 0;
		if (wait_ns > 1000000000ull)
			wait_ns = 1000000000ull;
		if (vm->uart.rx_len == UART_RX_SIZE)
			p[1].fd = -1;
		p[2].fd = netdev_poll_fd(&vm->net, &p[2].events);
		/* poll() has millisecond resolution: round up, never spin */
		poll(p, 3, (int)((wait_ns + 999999) / 1000000));
		if (read(trap_sigfd, &ssi, sizeof(ssi)) == sizeof(ssi)) {
			vm->stats.kind[TRAP_HOSTSIG]++;
			vm_request_exit(vm, 128 + (int)ssi.ssi_signo, "terminated by signal %u",
					ssi.ssi_signo);
		}
	}
}

/* Make sigreturn land in trap_exit_stub, leaving the guest for good. */
static void trap_leave(struct vm *vm)
{
	greg_t *gr = vm->cpu.gr;

	gr[REG_RIP] = (greg_t)(uintptr_t)trap_exit_stub;
	gr[REG_RSP] = (greg_t)trap_host_rsp;
	gr[REG_EFL] &= ~(greg_t)(FL_TF | FL_DF);
	gr[REG_CSGSFS] = TRAP_HOST_CS | (greg_t)((uint64_t)TRAP_HOST_SS << 48);
	vm->cpu.uc->uc_flags |= 0x2 | 0x4;
}

/* An emulation step failed in a way the monitor cannot recover from. */
static void trap_fatal(struct vm *vm, const char *what, int rc, const char *insn)
{
	vm_request_exit(vm, 2, "%s at %#x:%#x%s%s%s: %s", what, vm->cpu.seg[SEG_CS].sel,
			cpu_eip(&vm->cpu), insn[0] ? " (" : "", insn, insn[0] ? ")" : "",
			rc == -ENOSYS ? "instruction not emulated" : strerror(-rc));
}

/**
 * trap_result() - the outcome of an emulation or mapping step
 * @vm:		virtual machine in a trap or monitor call
 * @rc:		0 (resume), EMUL_HALT, EXC() to deliver, or -errno (stop)
 * @what:	what was being done, for the exit message
 * @insn:	the instruction's text, or ""
 */
void trap_result(struct vm *vm, int rc, const char *what, const char *insn)
{
	if (rc == 0)
		return;
	if (rc == EMUL_HALT) {
		trap_halt(vm);
		return;
	}
	if (rc > 0) {
		vm->stats.kind[EXC_VEC(rc) == VEC_PF ? TRAP_PF_GUEST : TRAP_EXC_GUEST]++;
		irq_raise_exc(vm, rc);
		return;
	}
	trap_fatal(vm, what, rc, insn);
}

/**
 * trap_fix_sregs() - catch segment registers the guest loaded natively
 * @vm:		virtual machine in a #GP or #SS trap
 *
 * A guest selector that happens to name a usable descriptor of the host's
 * GDT (0x7b, Linux's __USER_DS, is the host's CPUNODE segment; 0x23, 0x2b
 * are flat) loads without a fault and stays there until an access through
 * it faults.  Every data segment register holding a host GDT selector
 * (the monitor only ever loads LDT selectors) is given what the guest
 * asked for, by emulating the load of that selector from the guest GDT;
 * the instruction is then restarted.
 *
 * Return: number of registers fixed (0: nothing to fix), or -errno; a
 * positive EXC() is delivered to the guest (a bad selector in its GDT).
 */
static int trap_fix_sregs(struct vm *vm)
{
	struct cpu *c = &vm->cpu;
	uint16_t h[SEG_NR];
	int r, n = 0, rc;

	__asm__ volatile("mov %%es, %0" : "=r"(h[SEG_ES]));
	__asm__ volatile("mov %%ds, %0" : "=r"(h[SEG_DS]));
	__asm__ volatile("mov %%gs, %0" : "=r"(h[SEG_GS]));
	h[SEG_FS] = trap_guest_fs;
	h[SEG_SS] = (uint16_t)((uint64_t)c->gr[REG_CSGSFS] >> 48);
	h[SEG_CS] = 0;
	for (r = 0; r < SEG_NR; r++) {
		if (r == SEG_CS || !(h[r] & ~3u) || (h[r] & 4))
			continue;
		rc = cpu_load_seg(c, (enum cpu_sreg)r, h[r], NULL);
		if (rc > 0) {
			irq_raise_exc(vm, rc);
			return 1;
		}
		if (rc < 0)
			return rc;
		n++;
	}
	return n;
}

/* The rewritten site at linear address @at, if there is one. */
static bool trap_site(struct vm *vm, uint32_t at, struct ulvm_st_site *site)
{
	if (!vm->sites.blob)
		return false;
	if (!sites_find(&vm->sites, at, site))
		return true;
	/* early code runs at its physical address, with paging off or just
	 * turned on (not only the sites flagged ULVM_SITE_F_PHYS: head code
	 * calls into .text); only kernel code, never a user int3 */
	return vm->cpu.cpl == 0 && at < vm->sites.hdr.page_offset &&
	       !sites_find(&vm->sites, at + vm->sites.hdr.page_offset, site);
}

/* int3: a rewritten site to emulate, or the guest's own breakpoint. */
static void trap_int3(struct vm *vm, char *insn, unsigned int insn_len)
{
	struct cpu *c = &vm->cpu;
	uint32_t eip = cpu_eip(c) - 1, base = c->seg[SEG_CS].base;
	struct ulvm_st_site site, next;
	int rc;

	if (!trap_site(vm, base + eip, &site)) {
		vm->stats.kind[TRAP_BREAKPOINT]++;
		irq_deliver(vm, VEC_BP, IRQ_SOFT, false, 0);
		return;
	}
	vm->stats.kind[TRAP_SITE]++;
	rc = emul_bytes(vm, eip, site.insn, site.len, insn, insn_len);
	/* sti; hlt (both sites): take them as one, as the interrupt shadow does */
	if (rc == 0 && site.cls == ULVM_SC_STI && trap_site(vm, base + eip + site.len, &next) &&
	    next.cls == ULVM_SC_HLT && !c->cpl) {
		cpu_set_eip(c, eip + site.len + next.len);
		rc = EMUL_HALT;
	}
	trap_result(vm, rc, "rewritten site", insn);
}

/* int $0x80 (or a 32/64-bit syscall) stopped by Syscall User Dispatch. */
static void trap_syscall(struct vm *vm, siginfo_t *si)
{
	struct cpu *c = &vm->cpu;
	uint32_t eip = cpu_eip(c);
	uint8_t b[2] = { 0, 0 };

	vm->stats.kind[TRAP_SYSCALL]++;
	cpu_set_gpr(c, GPR_EAX, (uint32_t)si->si_syscall);
	if (paging_read(vm, c->seg[SEG_CS].base + eip - 2, b, 2, PG_NOAD) ||
	    b[0] != 0xcd || b[1] != 0x80) {
		cpu_set_eip(c, eip - 2);	/* syscall/sysenter: not offered */
		trap_result(vm, EXC(VEC_UD, 0), "syscall", "");
		return;
	}
	irq_deliver(vm, 0x80, IRQ_SOFT, false, 0);
}

/**
 * trap_handler() - every host signal, after trap_sig_stub
 * @sig:	signal
 * @si:		its information
 * @uc:		interrupted context (the guest's registers)
 */
void trap_handler(int sig, siginfo_t *si, ucontext_t *uc)
{
	struct vm *vm = trap_vm;
	greg_t *gr = uc->uc_mcontext.gregs;
	uint64_t t0;
	char insn[96] = "";
	int rc;

	if (!vm || !(gr[REG_CSGSFS] & 4)) {	/* not guest code: the monitor itself */
		if (sig == SIGALRM)
			return;
		if (vm && (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)) {
			vm_request_exit(vm, 128 + sig, "terminated by signal %d", sig);
			return;
		}
		console_restore();
		fprintf(stderr, "ulvm: internal error: signal %d at %#llx in the monitor\n",
			sig, (unsigned long long)gr[REG_RIP]);
		_exit(70);
	}
	t0 = vm_now(NULL);
	vm->cpu.gr = gr;
	vm->cpu.uc = uc;
	hc_sync_in(vm);

	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
		if (gr[REG_TRAPNO] == 14 && (rc = trap_fix_sregs(vm)) != 0) {
			/* e.g. glibc's mov $0x33,%gs: the host's flat code
			 * segment, base 0, so %gs:8 faults at address 8 */
			vm->stats.kind[TRAP_SEGFIX]++;
			trap_result(vm, rc < 0 ? rc : 0, "segment fix-up", "");
		} else if (gr[REG_TRAPNO] == 14) {
			uint32_t lin = (uint32_t)(uintptr_t)si->si_addr;

			rc = paging_host_fault(vm, lin, (uint32_t)gr[REG_ERR]);
			if (!rc) {
				vm->stats.kind[TRAP_PF_MAP]++;
			} else if (rc == -EFAULT) {	/* page 0: emulate the access */
				vm->stats.kind[TRAP_EMUL_MEM]++;
				rc = emul_mem(vm, lin, insn, sizeof(insn));
			}
			if (rc == -ERANGE || (rc < 0 && !insn[0]))
				snprintf(insn, sizeof(insn), "access to %#x", lin);
			trap_result(vm, rc, "page fault", insn);
		} else if ((gr[REG_TRAPNO] == 13 || gr[REG_TRAPNO] == 12) &&
			   (rc = trap_fix_sregs(vm)) != 0) {
			vm->stats.kind[TRAP_SEGFIX]++;
			trap_result(vm, rc < 0 ? rc : 0, "segment fix-up", "");
		} else if (gr[REG_TRAPNO] == 13) {
			vm->stats.kind[TRAP_EMUL]++;
			rc = emul_insn(vm, insn, sizeof(insn));
			trap_result(vm, rc, "#GP", insn);
		} else {
			trap_fatal(vm, sig == SIGBUS ? "bus error" : "segmentation fault",
				   -EFAULT, "");
		}
		break;
	case SIGTRAP:
		if (gr[REG_TRAPNO] == 3) {
			trap_int3(vm, insn, sizeof(insn));
		} else {
			vm->stats.kind[TRAP_EXC_GUEST]++;
			irq_deliver(vm, VEC_DB, IRQ_EXC, false, 0);
		}
		break;
	case SIGILL:
		trap_result(vm, EXC(VEC_UD, 0), "#UD", "");
		break;
	case SIGFPE:
		trap_result(vm, EXC(gr[REG_TRAPNO] == 16 || gr[REG_TRAPNO] == 19 ?
				    gr[REG_TRAPNO] : VEC_DE, 0), "#DE", "");
		break;
	case SIGSYS:
		trap_syscall(vm, si);
		break;
	case SIGALRM:
		vm->stats.kind[TRAP_TIMER]++;
		trap_timer_at = 0;
		break;
	case SIGTERM:
	case SIGINT:
	case SIGHUP:
		vm->stats.kind[TRAP_HOSTSIG]++;
		vm_request_exit(vm, 128 + sig, "terminated by signal %d", sig);
		break;
	default:
		vm_request_exit(vm, 2, "unexpected host signal %d", sig);
		break;
	}

	trap_finish(vm, t0, sig == SIGALRM);
}

/**
 * trap_finish() - the end of every trap and monitor call
 * @vm:		virtual machine, its register file the state to resume
 * @t0:		host time the trap began
 * @tick:	the host timer fired: poll the console too
 *
 * Brings the devices up to date, delivers a pending interrupt the guest
 * takes, re-arms the timer or, when the VM is finished, aims the register
 * file at trap_exit_stub.
 */
void trap_finish(struct vm *vm, uint64_t t0, bool tick)
{
	uint64_t now = vm_now(NULL);

	if (!vm->exit_req) {
		trap_devices(vm, now, tick);
		irq_check(vm);
	}
	if (vm->exit_req)
		trap_leave(vm);
	else
		trap_arm_timer(vm, now);
	hc_sync_out(vm);
	vm->stats.handler_ns += vm_now(NULL) - t0;
	vm->cpu.uc = NULL;
}

/**
 * trap_run() - run the guest until it is finished
 * @vm:		virtual machine, loaded and with trap_init() done
 *
 * Return: the exit status for the process.
 */
int trap_run(struct vm *vm)
{
	struct cpu *c = &vm->cpu;
	struct trap_entry_frame f;
	int rc;

	rc = paging_reset(vm);
	if (rc) {
		err("cannot map guest memory: %s", strerror(-rc));
		return 1;
	}
	memset(&f, 0, sizeof(f));
	f.rip = (uint32_t)c->regs[REG_RIP];
	f.cs = c->seg[SEG_CS].host;
	f.rflags = (c->regs[REG_EFL] & FL_HOST) | FL_IF | 0x2;
	f.rsp = (uint32_t)c->regs[REG_RSP];
	f.ss = c->seg[SEG_SS].host;
	f.rax = (uint32_t)c->regs[REG_RAX];
	f.rbx = (uint32_t)c->regs[REG_RBX];
	f.rcx = (uint32_t)c->regs[REG_RCX];
	f.rdx = (uint32_t)c->regs[REG_RDX];
	f.rsi = (uint32_t)c->regs[REG_RSI];
	f.rdi = (uint32_t)c->regs[REG_RDI];
	f.rbp = (uint32_t)c->regs[REG_RBP];
	f.ds = c->seg[SEG_DS].host;
	f.es = c->seg[SEG_ES].host;
	f.fs = c->seg[SEG_FS].host;
	f.gs = c->seg[SEG_GS].host;
	vm->t_start = vm_now(NULL);
	trap_arm_timer(vm, vm->t_start);
	trap_enter(&f);
	console_flush();
	return vm->exit_code;
}

/**
 * trap_print_stats() - the --trace report on stderr
 * @vm:		virtual machine after the run
 */
void trap_print_stats(const struct vm *vm)
{
	uint64_t total = 0, wall = vm_now(NULL) - vm->t_start;
	unsigned int i;

	for (i = 0; i < TRAP_NR; i++)
		total += vm->stats.kind[i];
	fprintf(stderr, "ulvm: trace: %llu traps in %.3f ms wall, %.3f ms in handlers\n",
		(unsigned long long)total, wall / 1e6, vm->stats.handler_ns / 1e6);
	for (i = 0; i < TRAP_NR; i++)
		if (vm->stats.kind[i])
			fprintf(stderr, "ulvm: trace:   %-30s %10llu\n", trap_kind_names[i],
				(unsigned long long)vm->stats.kind[i]);
	for (i = 0; i < TRAP_INSN_MAX; i++)
		if (vm->stats.insn[i])
			fprintf(stderr, "ulvm: trace:   insn %-25s %10llu\n",
				cs_insn_name(vm->capstone, i) ? cs_insn_name(vm->capstone, i) : "?",
				(unsigned long long)vm->stats.insn[i]);
	for (i = 0; i < 256; i++)
		if (vm->stats.vector[i])
			fprintf(stderr, "ulvm: trace:   vector %#-23x %10llu\n", i,
				(unsigned long long)vm->stats.vector[i]);
	if (vm->pit.lost)
		fprintf(stderr, "ulvm: trace:   timer ticks merged %19llu\n",
			(unsigned long long)vm->pit.lost);
	hc_print_stats(vm);
	if (vm->io.unclaimed)
		fprintf(stderr, "ulvm: trace:   unclaimed port accesses %14llu\n",
			(unsigned long long)vm->io.unclaimed);
}
