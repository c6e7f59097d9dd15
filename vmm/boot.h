/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* boot.h - kernel loading: ELF32 images and the Linux 32-bit boot protocol. */
#ifndef VMM_BOOT_H
#define VMM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/util.h"

/* Guest physical layout chosen by the loader (below 1 MiB, above page 0). */
#define BOOT_GDT_GPA		0x1000u	/* boot GDT: 0x10 code, 0x18 data */
#define BOOT_PARAMS_GPA		0x7000u	/* struct boot_params, the "zero page" */
#define BOOT_CMDLINE_GPA	0x20000u
#define BOOT_CMDLINE_MAX	2048u
#define BOOT_KERNEL_GPA		0x100000u	/* bzImage protected-mode code */
#define BOOT_SEL_CS		0x10
#define BOOT_SEL_DS		0x18

/* struct boot_params offsets (Documentation/arch/x86/zero-page.rst). */
#define BP_E820_ENTRIES		0x1e8
#define BP_HDR			0x1f1
#define BP_E820_TABLE		0x2d0
#define BP_E820_MAX		128

/**
 * struct boot_elf_info - what boot_elf32_parse() found
 * @entry:	e_entry (a physical address for kernels entered with paging off)
 * @nload:	PT_LOAD segments
 * @lo:		lowest physical address loaded
 * @hi:		end of the highest physical range loaded (memsz included)
 */
struct boot_elf_info {
	uint32_t entry;
	unsigned int nload;
	uint64_t lo, hi;
};

/**
 * struct boot_bz_info - the bzImage setup header, validated
 * @version:	boot protocol version (0x020f is 2.15)
 * @setup_sects: 512-byte setup sectors after the boot sector
 * @loadflags:	bit 0 LOADED_HIGH
 * @hdr_end:	file offset just past the setup header
 * @pm_offset:	file offset of the protected-mode kernel
 * @pm_size:	its size in bytes
 * @code32_start: 32-bit entry address for a kernel loaded at 1 MiB
 * @init_size:	bytes the kernel needs from its load address while starting
 * @kernel_alignment: alignment a relocatable kernel wants
 * @relocatable: the kernel may be loaded at another address
 * @cmdline_size: longest command line accepted (2.06+), else 255
 * @initrd_max:	highest address an initrd may end at
 * @pref_address: preferred load address (2.10+)
 * @payload_offset: offset of the compressed payload in the pm code (2.08+)
 * @payload_length: its length
 */
struct boot_bz_info {
	uint16_t version;
	uint8_t setup_sects, loadflags;
	uint32_t hdr_end, pm_offset, pm_size, code32_start, init_size;
	uint32_t kernel_alignment, cmdline_size, initrd_max;
	bool relocatable;
	uint64_t pref_address;
	uint32_t payload_offset, payload_length;
};

/**
 * struct boot_e820 - one memory map entry as in struct boot_params
 * @addr:	start
 * @size:	bytes
 * @type:	1 usable, 2 reserved
 */
struct boot_e820 {
	uint64_t addr, size;
	uint32_t type;
};

/**
 * struct boot_entry - CPU state the loader asks for
 * @eip:	entry point (physical, paging off)
 * @esi:	boot_params address, as the 32-bit boot protocol wants
 * @kind:	"ELF32" or "bzImage"
 */
struct boot_entry {
	uint32_t eip, esi;
	const char *kind;
};

struct vm;

int boot_elf32_parse(const uint8_t *buf, size_t len, uint64_t mem_size,
		     struct boot_elf_info *out, const char **why);
int boot_bzimage_parse(const uint8_t *buf, size_t len,
		       struct boot_bz_info *out, const char **why);
unsigned int boot_e820_build(uint64_t mem_size, struct boot_e820 *tab,
			     unsigned int max);
int boot_load(struct vm *vm, const char *kernel, const char *initrd,
	      const char *cmdline, uint32_t tsc_khz, struct boot_entry *out) WARN_UNUSED;

#endif /* VMM_BOOT_H */
