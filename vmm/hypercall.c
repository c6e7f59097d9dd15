// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* hypercall.c - stub mode: the vCPU page, the patch area and the monitor-call trampoline.
 *
 * Theory of operation (the contract is rewriter/vcpu_abi.h): a kernel
 * rewritten with stubs comes with a patch area (a PT_LOAD at the top of
 * the 4 GiB space) and expects a vCPU page there too.  hc_setup() maps
 * both at their guest addresses in the monitor's own address space, which
 * is the guest's linear space, outside everything the guest page tables
 * decide (paging_reset() leaves [ULVM_RESERVED_BASE, 4 GiB) alone), plus
 * one page just below the vCPU page holding a 64-bit thunk: the far
 * pointer in the page names it with the host's 64-bit CS, so a stub's
 * "lcall *%ss:call_off" lands there in 64-bit mode on the guest stack.
 * The thunk jumps to hc_entry in the monitor's text, which saves the guest
 * registers in a ucontext-shaped file, switches to a monitor stack, sets
 * Syscall User Dispatch to ALLOW and the host FS base (as trap_sig_stub
 * does for signals) and calls hc_handler().  That emulates the site's
 * original instruction on the register file with the same code as the
 * trap path and returns to the stub's call_ret (or where a control
 * transfer leads, or into an interrupt handler whose iret returns to
 * call_ret), by iretq, so that any outcome of the emulation -- exception,
 * interrupt, the end of the VM -- leaves the same way.
 *
 * The virtual IF lives in the vCPU page while the guest runs (the cli,
 * sti, pushf and popf stubs never leave guest mode): every entry into the
 * monitor (trap or call) copies it into vflags, every exit copies vflags
 * back and sets @pending when the PIC holds an interrupt the guest does
 * not take yet, which makes the next sti/popf stub call the monitor.
 */

#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "vmm/emul.h"
#include "vmm/hypercall.h"
#include "vmm/paging.h"
#include "vmm/trap_priv.h"
#include "vmm/vm.h"

#define HC_PAGE			4096u
#define HC_STACK_SIZE		(256u << 10)
#define HC_HOST_CS		0x33

/* The register file of a monitor call: only its gregs and uc_flags are used. */
ucontext_t hc_uc;
uint32_t hc_site_id;
uint64_t hc_stack_top;
static struct vm *hc_vm;
static void *hc_stack;

/* hc_entry's hard-coded offsets into hc_uc. */
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs) == 40, "gregs offset");
_Static_assert(REG_RDI == 8 && REG_RSI == 9 && REG_RBP == 10 && REG_RBX == 11 &&
	       REG_RDX == 12 && REG_RAX == 13 && REG_RCX == 14 && REG_RSP == 15 &&
	       REG_RIP == 16 && REG_EFL == 17 && REG_CSGSFS == 18, "greg indices");

void hc_entry(void);
void hc_handler(void);

/*
 * Entered from the low thunk in 64-bit mode, RSP = the guest's ESP, which
 * holds (from the top) the return EIP, the guest CS and the site id.
 * gregs at hc_uc+40: RDI 104, RSI 112, RBP 120, RBX 128, RDX 136, RAX 144,
 * RCX 152, RSP 160, RIP 168, EFL 176, CSGSFS 184 (SS in bytes 190-191).
 */
__asm__(
	".text\n"
	".globl hc_entry\n"
	".type hc_entry,@function\n"
	"hc_entry:\n"
	"	mov %rax, hc_uc+144(%rip)\n"
	"	mov %esp, %eax\n"			/* zero-extends */
	"	mov %rax, hc_uc+160(%rip)\n"
	"	mov hc_stack_top(%rip), %rsp\n"
	"	pushfq\n"
	"	popq hc_uc+176(%rip)\n"
	"	mov %rbx, hc_uc+128(%rip)\n"
	"	mov %rcx, hc_uc+152(%rip)\n"
	"	mov %rdx, hc_uc+136(%rip)\n"
	"	mov %rsi, hc_uc+112(%rip)\n"
	"	mov %rdi, hc_uc+104(%rip)\n"
	"	mov %rbp, hc_uc+120(%rip)\n"
	"	mov (%rax), %ecx\n"
	"	mov %rcx, hc_uc+168(%rip)\n"
	"	movzwl 4(%rax), %ecx\n"
	"	mov %ss, %edx\n"
	"	shl $48, %rdx\n"
	"	or %rdx, %rcx\n"
	"	mov %rcx, hc_uc+184(%rip)\n"
	"	mov 8(%rax), %ecx\n"
	"	mov %ecx, hc_site_id(%rip)\n"
	"	movb $0, trap_sud_sel(%rip)\n"
	"	mov %fs, %eax\n"
	"	mov %ax, trap_guest_fs(%rip)\n"
	"	rdfsbase %rax\n"
	"	mov %rax, trap_guest_fsbase(%rip)\n"
	"	mov trap_host_fsbase(%rip), %rax\n"
	"	wrfsbase %rax\n"
	"	call hc_handler\n"
	"	movzwl trap_guest_fs(%rip), %eax\n"
	"	mov %eax, %fs\n"
	"	mov trap_guest_fsbase(%rip), %rax\n"
	"	wrfsbase %rax\n"
	"	movb $1, trap_sud_sel(%rip)\n"
	"	movzwl hc_uc+190(%rip), %eax\n"
	"	push %rax\n"
	"	pushq hc_uc+160(%rip)\n"
	"	pushq hc_uc+176(%rip)\n"
	"	movzwl hc_uc+184(%rip), %eax\n"
	"	push %rax\n"
	"	pushq hc_uc+168(%rip)\n"
	"	mov hc_uc+104(%rip), %rdi\n"
	"	mov hc_uc+112(%rip), %rsi\n"
	"	mov hc_uc+120(%rip), %rbp\n"
	"	mov hc_uc+128(%rip), %rbx\n"
	"	mov hc_uc+136(%rip), %rdx\n"
	"	mov hc_uc+152(%rip), %rcx\n"
	"	mov hc_uc+144(%rip), %rax\n"
	"	iretq\n"
	".size hc_entry, .-hc_entry\n");

/* Map the patch area's memfd at @va, read and execute. */
static int hc_map_patch(const struct hypercall *hc, uint32_t va)
{
	void *p = mmap((void *)(uintptr_t)va, hc->patch_len, PROT_READ | PROT_EXEC,
		       MAP_SHARED | MAP_FIXED, hc->patch_fd, 0);

	return p == MAP_FAILED ? -errno : 0;
}

/**
 * hc_map_alias() - the patch area at its physical alias, while paging is off
 * @vm:		virtual machine whose RAM is identity-mapped up to @top
 * @top:	end of the identity mapping
 *
 * Head code runs at physical addresses (vaddr - page_offset) and calls
 * into .text there: its stubs' jmp rel32 then lands at patch_vaddr -
 * page_offset.  The alias is dropped with every other mapping below
 * ULVM_RESERVED_BASE when paging goes on.
 *
 * Return: 0 (also when there is no alias to make), or -errno.
 */
int hc_map_alias(struct vm *vm, uint64_t top)
{
	const struct hypercall *hc = &vm->hc;
	uint32_t po = vm->sites.hdr.page_offset;

	if (!hc->active || !po || po > hc->patch_vaddr || hc->patch_vaddr - po < top)
		return 0;
	return hc_map_patch(hc, hc->patch_vaddr - po);
}

/* Map [va, va+len) below 4 GiB over the guest reservation and fill it. */
static int hc_map(uint32_t va, uint32_t len, const void *src, size_t n, int prot)
{
	void *p = mmap((void *)(uintptr_t)va, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if (n)
		memcpy(p, src, n);
	if (prot != (PROT_READ | PROT_WRITE) && mprotect(p, len, prot))
		return -errno;
	return 0;
}

/**
 * hc_setup() - map the patch area, the vCPU page and the trampoline
 * @vm:		virtual machine whose site table is loaded
 * @patch:	the patch area's bytes in the image
 * @filesz:	their number
 * @vaddr:	the PT_LOAD's address
 * @memsz:	its size in memory
 *
 * Return: 0, or -errno after printing what is wrong with the image.
 */
int hc_setup(struct vm *vm, const uint8_t *patch, uint32_t filesz, uint32_t vaddr,
	     uint32_t memsz)
{
	const struct ulvm_st_header *h = &vm->sites.hdr;
	struct hypercall *hc = &vm->hc;
	uint8_t thunk[14] = { 0xff, 0x25, 0, 0, 0, 0 };	/* jmp *0(%rip) */
	uint64_t entry = (uint64_t)(uintptr_t)hc_entry, len;
	struct ulvm_vcpu_page pg;
	int rc;

	if (!vm->sites.blob) {
		err("kernel: a patch area at %#x but no site table", vaddr);
		return -EINVAL;
	}
	if (h->vcpu_abi != ULVM_VCPU_ABI_VERSION) {
		err("kernel: stubs made for vCPU ABI %u, this ulvm speaks %u", h->vcpu_abi,
		    ULVM_VCPU_ABI_VERSION);
		return -ENOTSUP;
	}
	len = ((uint64_t)memsz + HC_PAGE - 1) & ~(uint64_t)(HC_PAGE - 1);
	if (vaddr != h->patch_vaddr || filesz > memsz || memsz < h->patch_size ||
	    vaddr < ULVM_RESERVED_BASE || (vaddr & (HC_PAGE - 1)) ||
	    (h->vcpu_vaddr & (HC_PAGE - 1)) || h->vcpu_vaddr < ULVM_RESERVED_BASE + HC_PAGE ||
	    (uint64_t)vaddr + len > h->vcpu_vaddr - HC_PAGE) {
		err("kernel: patch area %#x+%#x or vCPU page %#x not where vcpu_abi.h wants them",
		    vaddr, memsz, h->vcpu_vaddr);
		return -EINVAL;
	}
	if (!vm->mem.reserved) {
		err("stub mode needs the guest's 4 GiB reserved");
		return -EFAULT;
	}
	if (!hc_stack) {
		hc_stack = mmap(NULL, HC_STACK_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (hc_stack == MAP_FAILED) {
			hc_stack = NULL;
			return -errno;
		}
		hc_stack_top = (uint64_t)(uintptr_t)hc_stack + HC_STACK_SIZE;
	}
	hc->patch_vaddr = vaddr;
	hc->patch_len = (uint32_t)len;
	hc->tramp_vaddr = h->vcpu_vaddr - HC_PAGE;
	memcpy(thunk + 6, &entry, 8);
	memset(&pg, 0, sizeof(pg));
	pg.magic = ULVM_VCPU_MAGIC;
	pg.version = ULVM_VCPU_ABI_VERSION;
	pg.call_off = hc->tramp_vaddr;
	pg.call_sel = HC_HOST_CS;
	hc->patch_fd = memfd_create("ulvm-patch", MFD_CLOEXEC);
	if (hc->patch_fd < 0 || ftruncate(hc->patch_fd, (off_t)len) ||
	    pwrite(hc->patch_fd, patch, filesz, 0) != (ssize_t)filesz) {
		rc = -errno;
		err("cannot hold the patch area: %s", strerror(-rc));
		return rc;
	}
	rc = hc_map_patch(hc, vaddr);
	if (!rc)
		rc = hc_map(hc->tramp_vaddr, HC_PAGE, thunk, sizeof(thunk), PROT_READ | PROT_EXEC);
	if (!rc)
		rc = hc_map(h->vcpu_vaddr, HC_PAGE, &pg, sizeof(pg), PROT_READ | PROT_WRITE);
	if (rc) {
		err("cannot map the patch area and vCPU page: %s", strerror(-rc));
		return rc;
	}
	hc->page = (volatile struct ulvm_vcpu_page *)(uintptr_t)h->vcpu_vaddr;
	hc->active = true;
	hc_vm = vm;
	return 0;
}

/**
 * hc_sync_in() - the guest's virtual IF from the vCPU page into vflags
 * @vm:		virtual machine entering the monitor
 */
void hc_sync_in(struct vm *vm)
{
	if (!vm->hc.active)
		return;
	if (vm->hc.page->vif)
		vm->cpu.vflags |= FL_IF;
	else
		vm->cpu.vflags &= ~FL_IF;
}

/**
 * hc_sync_out() - vflags' IF and the PIC's pending state into the vCPU page
 * @vm:		virtual machine leaving the monitor
 */
void hc_sync_out(struct vm *vm)
{
	bool vif;

	if (!vm->hc.active)
		return;
	vif = vm->cpu.vflags & FL_IF;
	vm->hc.page->vif = vif;
	vm->hc.page->pending = !vif && pic_pending(&vm->pic) >= 0;
}

/* One monitor call: emulate the site and say where the guest resumes. */
static void hc_call(struct vm *vm, char *insn, unsigned int insn_len)
{
	struct cpu *c = &vm->cpu;
	uint32_t ret = (uint32_t)c->gr[REG_RIP], esp = (uint32_t)c->gr[REG_RSP] + 12, eip;
	uint32_t delta = 0;
	struct ulvm_st_site s;
	int rc;

	rc = sites_get(&vm->sites, hc_site_id, &s);
	if (!rc && s.call_ret != ret && s.call_ret - vm->sites.hdr.page_offset == ret)
		delta = vm->sites.hdr.page_offset;	/* head code at its physical address */
	if (rc || s.call_ret - delta != ret ||
	    (s.disp != ULVM_SD_STUB_CALL && s.disp != ULVM_SD_STUB_EMUL)) {
		vm_request_exit(vm, 2, "bad monitor call: site %u from %#x", hc_site_id, ret);
		return;
	}
	vm->hc.calls++;
	if (s.cls < ULVM_SC_COUNT)
		vm->hc.by_class[s.cls]++;
	if (s.disp == ULVM_SD_STUB_EMUL) {
		/* sti/popf found @pending: only take the interrupt */
		vm->hc.irq_calls++;
		cpu_set_gpr(c, GPR_ESP, esp - 4);
		return;
	}
	cpu_set_gpr(c, GPR_ESP, esp);
	eip = s.vaddr - delta - c->seg[SEG_CS].base;
	cpu_set_eip(c, eip);
	rc = emul_bytes(vm, eip, s.insn, s.len, insn, insn_len);
	if ((rc == 0 || rc == EMUL_HALT) && !(s.flags & ULVM_SITE_F_NORETURN) &&
	    cpu_eip(c) == eip + s.len) {
		/* back into the stub, the id still on the stack */
		cpu_set_eip(c, ret);
		cpu_set_gpr(c, GPR_ESP, cpu_gpr(c, GPR_ESP) - 4);
	}
	trap_result(vm, rc, "monitor call", insn);
}

/**
 * hc_handler() - a stub's monitor call, after hc_entry
 *
 * The guest's registers are in hc_uc; on return hc_entry resumes whatever
 * they say (the guest, or trap_exit_stub when the VM is finished).
 */
void hc_handler(void)
{
	struct vm *vm = hc_vm;
	greg_t *gr = hc_uc.uc_mcontext.gregs;
	char insn[96] = "";
	uint64_t t0 = vm_now(NULL);

	vm->cpu.gr = gr;
	vm->cpu.uc = &hc_uc;
	hc_sync_in(vm);
	hc_call(vm, insn, sizeof(insn));
	trap_finish(vm, t0, false);
	if ((gr[REG_CSGSFS] & 0xffff) != HC_HOST_CS)
		gr[REG_EFL] = (gr[REG_EFL] & FL_HOST) | FL_IF | 0x2;
}

/**
 * hc_print_stats() - the --trace lines of stub mode
 * @vm:		virtual machine after the run
 */
void hc_print_stats(const struct vm *vm)
{
	const struct hypercall *hc = &vm->hc;
	unsigned int i;

	if (!hc->active)
		return;
	fprintf(stderr, "ulvm: trace: %llu monitor calls from stubs (%llu to take an interrupt)\n",
		(unsigned long long)hc->calls, (unsigned long long)hc->irq_calls);
	for (i = 0; i < ULVM_SC_COUNT; i++)
		if (hc->by_class[i])
			fprintf(stderr, "ulvm: trace:   call class %-22u %10llu\n", i,
				(unsigned long long)hc->by_class[i]);
}

/**
 * hc_fini() - release what hc_setup() holds (the mappings go with the reservation)
 * @vm:		virtual machine
 */
void hc_fini(struct vm *vm)
{
	if (vm->hc.patch_len && vm->hc.patch_fd >= 0)
		close(vm->hc.patch_fd);
	vm->hc.patch_fd = -1;
	vm->hc.active = false;
	vm->hc.page = NULL;
}
