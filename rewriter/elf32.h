/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* elf32.h - a bounds-checked reader of i386 ELF32 images: sections, segments, symbols. */
#ifndef ULVM_REWRITER_ELF32_H
#define ULVM_REWRITER_ELF32_H

#include <stddef.h>
#include <stdint.h>

#include "rewriter/err.h"

/**
 * struct rw_elf_sec - one section header, checked
 * @name:	its name (points into the image, NUL-terminated), "" if none
 * @type:	sh_type
 * @flags:	sh_flags
 * @addr:	sh_addr
 * @off:	sh_offset (for SHT_NOBITS meaningless)
 * @size:	sh_size; for sections with file bytes, off + size <= image length
 */
struct rw_elf_sec {
	const char *name;
	uint32_t type, flags, addr, off, size;
};

/**
 * struct rw_elf_seg - one program header, checked
 * @type, @flags, @off, @vaddr, @paddr, @filesz, @memsz, @align: as in Elf32_Phdr;
 * off + filesz <= image length
 */
struct rw_elf_seg {
	uint32_t type, flags, off, vaddr, paddr, filesz, memsz, align;
};

/**
 * struct rw_elf_sym - a function symbol
 * @value:	its address
 * @size:	its size (0 if unknown)
 * @name:	its name (in the image)
 */
struct rw_elf_sym {
	uint32_t value, size;
	const char *name;
};

/**
 * struct rw_elf - a parsed image; all pointers point into @buf
 * @buf:	the image bytes (not owned)
 * @len:	their number
 * @type:	e_type
 * @entry:	e_entry
 * @phoff:	e_phoff
 * @shoff:	e_shoff (0 when there are no section headers)
 * @secs:	section headers (malloc'ed), @nsecs of them
 * @segs:	program headers (malloc'ed), @nsegs of them
 * @syms:	STT_FUNC symbols with a nonzero value (malloc'ed), @nsyms of them
 */
struct rw_elf {
	const uint8_t *buf;
	size_t len;
	uint16_t type;
	uint32_t entry, phoff, shoff;
	struct rw_elf_sec *secs;
	size_t nsecs;
	struct rw_elf_seg *segs;
	size_t nsegs;
	struct rw_elf_sym *syms;
	size_t nsyms;
};

#define RW_PT_LOAD 1
#define RW_PF_X 1
#define RW_PF_W 2
#define RW_PF_R 4
#define RW_SHT_PROGBITS 1
#define RW_SHT_NOBITS 8
#define RW_SHF_EXECINSTR 4

int rw_elf_parse(struct rw_elf *e, const uint8_t *buf, size_t len, struct rw_err *err)
	__attribute__((warn_unused_result));
void rw_elf_free(struct rw_elf *e);
const struct rw_elf_sec *rw_elf_section(const struct rw_elf *e, const char *name);
const struct rw_elf_seg *rw_elf_segment_type(const struct rw_elf *e, uint32_t type);
int rw_elf_va_off(const struct rw_elf *e, uint32_t va, uint32_t len, size_t *off);
const uint8_t *rw_elf_va_ptr(const struct rw_elf *e, uint32_t va, uint32_t len);
int rw_elf_hits_headers(const struct rw_elf *e, uint64_t off, uint64_t len);
uint32_t rw_le32(const uint8_t *p);
uint16_t rw_le16(const uint8_t *p);
void rw_put_le32(uint8_t *p, uint32_t v);

#endif /* ULVM_REWRITER_ELF32_H */
