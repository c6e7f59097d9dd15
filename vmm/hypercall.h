/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* hypercall.h - stub mode: the vCPU page, the patch area and the monitor-call trampoline. */
#ifndef VMM_HYPERCALL_H
#define VMM_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "rewriter/sitetab_abi.h"
#include "rewriter/vcpu_abi.h"
#include "vmm/util.h"

/**
 * struct hypercall - the monitor side of a kernel rewritten with stubs
 * @active:	the image has stubs: the areas below are mapped
 * @page:	the vCPU page, at its guest address (shared with the guest)
 * @patch_vaddr: guest address of the patch area
 * @patch_len:	bytes mapped for it (whole pages)
 * @tramp_vaddr: guest address of the page holding the 64-bit trampoline
 * @patch_fd:	memfd holding the patch area (mapped at two addresses)
 * @calls:	monitor calls made by stubs
 * @irq_calls:	of which calls by sti/popf stubs to take a pending interrupt
 * @by_class:	monitor calls by site class
 */
struct hypercall {
	bool active;
	volatile struct ulvm_vcpu_page *page;
	uint32_t patch_vaddr, patch_len, tramp_vaddr;
	int patch_fd;
	uint64_t calls, irq_calls;
	uint64_t by_class[ULVM_SC_COUNT];
};

struct vm;

int hc_setup(struct vm *vm, const uint8_t *patch, uint32_t filesz, uint32_t vaddr,
	     uint32_t memsz) WARN_UNUSED;
int hc_map_alias(struct vm *vm, uint64_t top);
void hc_fini(struct vm *vm);
void hc_sync_in(struct vm *vm);
void hc_sync_out(struct vm *vm);
void hc_print_stats(const struct vm *vm);

#endif /* VMM_HYPERCALL_H */
