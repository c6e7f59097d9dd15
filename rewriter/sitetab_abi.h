/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* sitetab_abi.h - on-disk format of the site table that ulvm-rewrite writes and the monitor loads. */
#ifndef ULVM_REWRITER_SITETAB_ABI_H
#define ULVM_REWRITER_SITETAB_ABI_H

/*
 * Theory of operation
 *
 * The site table is one little-endian blob: a header, then @nregions
 * region records, then @nsites site records, then @ntabpatches records of
 * bytes changed in the kernel's own patch tables.  It is written twice: as
 * a file (ulvm-rewrite --sites FILE) and inside the rewritten ELF image, in
 * a program header of type ULVM_PT_SITES (not loaded); the patch area is a
 * PT_LOAD at header.patch_vaddr.  Record sizes are in the header so that a
 * reader can skip fields added later; a reader refuses another @version.
 *
 * A *site* is one sensitive instruction found in the image.  Every one
 * found gets a record, whatever was done with it (@disp), so the table
 * accounts for all of them.  A *region* is a range of bytes rewritten in
 * place: either a jmp rel32 to a stub (plus int3 filler) covering one or
 * more whole instructions, at least one of them a site, or a single
 * instruction whose first byte became int3 (and its other bytes int3
 * too).  A region of 2 to 4 bytes may instead hold a jmp rel8 to a
 * *slot*: dead padding nearby (after a ret or jmp, before the next branch
 * target) where a jmp rel32 to the stub was written; @via and @via_len
 * say where, @via_orig what was there.  Whole padding instructions after
 * a region's ret, jmp or control transfer are dead and absorbed into it.
 * Regions do not overlap; sites of a region are consecutive.
 */

#include <stdint.h>

#define ULVM_SITETAB_MAGIC "ULVMSITE"
#define ULVM_SITETAB_VERSION 1
/* p_type of the program header that holds the site table in the image. */
#define ULVM_PT_SITES 0x6c766d01u
/* Longest in-place region, in bytes. */
#define ULVM_REGION_MAX 32
/* ulvm_st_site.region of a site rewritten nowhere. */
#define ULVM_ST_NO_REGION 0xffffffffu

/*
 * Classes of sensitive instruction.  Keep rw_class_names[] (classify.c)
 * in step: a static_assert checks the count.
 */
enum ulvm_site_class {
	ULVM_SC_NONE = 0,
	/* privileged: fault at CPL3 */
	ULVM_SC_CLI,
	ULVM_SC_STI,
	ULVM_SC_HLT,
	ULVM_SC_IN,
	ULVM_SC_OUT,
	ULVM_SC_INS,
	ULVM_SC_OUTS,
	ULVM_SC_MOV_CR,
	ULVM_SC_MOV_DR,
	ULVM_SC_LGDT,
	ULVM_SC_LIDT,
	ULVM_SC_LLDT,
	ULVM_SC_LTR,
	ULVM_SC_INVLPG,
	ULVM_SC_WBINVD,
	ULVM_SC_INVD,
	ULVM_SC_CLTS,
	ULVM_SC_LMSW,
	ULVM_SC_RDMSR,
	ULVM_SC_WRMSR,
	ULVM_SC_RDPMC,
	ULVM_SC_IRET,
	ULVM_SC_SYSEXIT,
	ULVM_SC_FAR_JMP,
	ULVM_SC_FAR_CALL,
	ULVM_SC_FAR_RET,
	ULVM_SC_MWAIT,
	ULVM_SC_XSETBV,
	ULVM_SC_VMCALL,
	ULVM_SC_SMAP,
	/* sensitive but unprivileged: run silently with host values */
	ULVM_SC_PUSHF,
	ULVM_SC_POPF,
	ULVM_SC_SGDT,
	ULVM_SC_SIDT,
	ULVM_SC_SLDT,
	ULVM_SC_STR,
	ULVM_SC_SMSW,
	ULVM_SC_CPUID,
	ULVM_SC_SEG_LOAD,
	ULVM_SC_SEG_STORE,
	ULVM_SC_LAR,
	ULVM_SC_LSL,
	ULVM_SC_VERR,
	ULVM_SC_VERW,
	ULVM_SC_RDTSC,
	ULVM_SC_RDTSCP,
	ULVM_SC_COUNT
};

/* Region kinds (ulvm_st_region.kind). */
enum ulvm_region_kind {
	ULVM_RK_STUB = 1,	/* jmp rel32 to @stub, int3 filler */
	ULVM_RK_TRAP_INT3 = 2,	/* int3 over the whole instruction */
	ULVM_RK_STUB_SHORT = 3,	/* jmp rel8 to a slot holding jmp rel32 to @stub */
};

/* What was done with a site (ulvm_st_site.disp). */
enum ulvm_site_disp {
	ULVM_SD_STUB_EMUL = 1,	/* stub emulates it in guest mode (vCPU page) */
	ULVM_SD_STUB_CALL = 2,	/* stub calls the monitor */
	ULVM_SD_TRAP = 3,	/* int3 in place, the monitor emulates on SIGTRAP */
	ULVM_SD_INERT_ALT = 4,	/* in an alternative's replacement, made inert */
	ULVM_SD_NATIVE = 5,	/* left native on purpose (rdtsc: host TSC passes) */
	ULVM_SD_DATA = 6,	/* decoded where decoding was out of step: data, left */
	ULVM_SD_COUNT
};

/* ulvm_st_site.flags */
#define ULVM_SITE_F_PHYS 0x01	  /* runs with paging off (head code) */
#define ULVM_SITE_F_NORETURN 0x02 /* control transfer: no return to the stub */
#define ULVM_SITE_F_ALTREPL 0x04  /* lies in .altinstr_replacement */
#define ULVM_SITE_F_ALTORIG 0x08  /* lies in an alternative's original range */
#define ULVM_SITE_F_EXTABLE 0x10  /* has an exception-table entry: deliver faults at @vaddr */

/**
 * struct ulvm_st_header - the table's header (96 bytes)
 * @magic:	ULVM_SITETAB_MAGIC, not NUL-terminated
 * @version:	ULVM_SITETAB_VERSION
 * @header_size: sizeof(struct ulvm_st_header)
 * @region_size: sizeof(struct ulvm_st_region)
 * @nregions:	number of region records
 * @site_size:	sizeof(struct ulvm_st_site)
 * @nsites:	number of site records
 * @tabpatch_size: sizeof(struct ulvm_st_tabpatch)
 * @ntabpatches: number of table-patch records
 * @patch_vaddr: guest VA of the patch area
 * @patch_size:	its size in bytes
 * @vcpu_vaddr:	guest VA of the vCPU page (vcpu_abi.h)
 * @page_offset: VA minus PA of the kernel image (for ULVM_SITE_F_PHYS)
 * @entry:	the image's ELF entry point
 * @vcpu_abi:	ULVM_VCPU_ABI_VERSION the stubs were made for
 * @os:		1 = Linux i386
 * @reserved:	zero
 */
struct ulvm_st_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint32_t region_size;
	uint32_t nregions;
	uint32_t site_size;
	uint32_t nsites;
	uint32_t tabpatch_size;
	uint32_t ntabpatches;
	uint32_t patch_vaddr;
	uint32_t patch_size;
	uint32_t vcpu_vaddr;
	uint32_t page_offset;
	uint32_t entry;
	uint32_t vcpu_abi;
	uint32_t os;
	uint32_t reserved[7];
};

/**
 * struct ulvm_st_region - one range rewritten in place (76 bytes)
 * @vaddr:	guest VA of its first byte
 * @stub:	guest VA of its stub (ULVM_RK_STUB), else 0
 * @stub_len:	length of the stub in bytes, else 0
 * @len:	bytes rewritten in place (<= ULVM_REGION_MAX)
 * @kind:	enum ulvm_region_kind
 * @first_site:	index of its first site record
 * @nsites:	number of its sites (consecutive records)
 * @ninsns:	number of whole instructions it covers
 * @orig:	the original bytes (first @len)
 * @via:	VA of the slot holding the jmp rel32 (short regions), else 0
 * @via_len:	bytes of the slot used (whole padding instructions)
 * @reserved:	zero
 * @via_orig:	the slot's original bytes (first @via_len)
 */
struct ulvm_st_region {
	uint32_t vaddr;
	uint32_t stub;
	uint16_t stub_len;
	uint8_t len;
	uint8_t kind;
	uint32_t first_site;
	uint16_t nsites;
	uint16_t ninsns;
	uint8_t orig[ULVM_REGION_MAX];
	uint32_t via;
	uint8_t via_len;
	uint8_t reserved[3];
	uint8_t via_orig[16];
};

/**
 * struct ulvm_st_site - one sensitive instruction (36 bytes)
 * @id:		its index; the value a stub pushes before calling the monitor
 * @vaddr:	guest VA of the instruction
 * @region:	index of the region rewriting it, or ULVM_ST_NO_REGION
 * @call_ret:	for ULVM_SD_STUB_CALL, the return EIP of its lcall, else 0
 * @cls:	enum ulvm_site_class
 * @disp:	enum ulvm_site_disp
 * @len:	instruction length
 * @flags:	ULVM_SITE_F_*
 * @insn:	the original instruction bytes (first @len)
 */
struct ulvm_st_site {
	uint32_t id;
	uint32_t vaddr;
	uint32_t region;
	uint32_t call_ret;
	uint16_t cls;
	uint8_t disp;
	uint8_t len;
	uint8_t flags;
	uint8_t insn[15];
};

/* Table-patch kinds (ulvm_st_tabpatch.kind). */
enum ulvm_tabpatch_kind {
	ULVM_TP_ALT_INERT = 1, /* .altinstructions entry: instrlen/replacementlen zeroed */
};

/**
 * struct ulvm_st_tabpatch - bytes changed in one of the kernel's tables (16 bytes)
 * @vaddr:	guest VA of the first changed byte
 * @len:	number of bytes changed (<= 8)
 * @kind:	enum ulvm_tabpatch_kind
 * @reserved:	zero
 * @orig:	the original bytes
 */
struct ulvm_st_tabpatch {
	uint32_t vaddr;
	uint8_t len;
	uint8_t kind;
	uint16_t reserved;
	uint8_t orig[8];
};

_Static_assert(sizeof(struct ulvm_st_header) == 96, "header size");
_Static_assert(sizeof(struct ulvm_st_region) == 76, "region size");
_Static_assert(sizeof(struct ulvm_st_site) == 36, "site size");
_Static_assert(sizeof(struct ulvm_st_tabpatch) == 16, "tabpatch size");

#endif /* ULVM_REWRITER_SITETAB_ABI_H */
