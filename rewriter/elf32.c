// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* elf32.c - a bounds-checked reader of i386 ELF32 images. */

/*
 * Theory of operation
 *
 * rw_elf_parse() checks the identification (ELF32, little-endian, EM_386),
 * then copies every section and program header into host structs after
 * checking that the bytes they describe lie inside the image; anything
 * else is an error naming the header.  Names are checked to be
 * NUL-terminated inside their string table.  Later look-ups (VA to file
 * offset) go through the checked segments only, so no caller indexes the
 * image without a bounds check.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rewriter/elf32.h"

#define RW_EM_386 3
#define RW_EM_X86_64 62
#define RW_SHT_SYMTAB 2
#define RW_STT_FUNC 2

uint32_t rw_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint16_t rw_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void rw_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* in_file() - is [off, off + n) inside an image of @len bytes? */
static int rw_elf_in_file(size_t len, uint64_t off, uint64_t n)
{
	return off <= len && n <= len - off;
}

/**
 * rw_elf_str() - a checked NUL-terminated string from a string table
 * @e:		image
 * @strtab:	the string table section
 * @idx:	offset inside it
 *
 * Return: the string, or NULL if out of bounds or not terminated.
 */
static const char *rw_elf_str(const struct rw_elf *e, const struct rw_elf_sec *strtab, uint32_t idx)
{
	const char *s;

	/* Only sections whose bytes were bounds-checked (not NULL, not NOBITS). */
	if (!strtab || strtab->type == RW_SHT_NOBITS || strtab->type == 0 || idx >= strtab->size)
		return NULL;
	s = (const char *)e->buf + strtab->off + idx;
	if (!memchr(s, 0, strtab->size - idx))
		return NULL;
	return s;
}

/**
 * rw_elf_parse_syms() - collect STT_FUNC symbols of every SHT_SYMTAB
 * @e:		image with sections parsed
 * @err:	error report
 *
 * Return: 0 or -errno.
 */
static int rw_elf_parse_syms(struct rw_elf *e, struct rw_err *err)
{
	size_t i, j, total = 0;

	for (i = 0; i < e->nsecs; i++)
		if (e->secs[i].type == RW_SHT_SYMTAB)
			total += e->secs[i].size / 16;
	if (!total)
		return 0;
	e->syms = calloc(total, sizeof(*e->syms));
	if (!e->syms)
		return rw_err_set(err, -ENOMEM, "out of memory for symbols");
	for (i = 0; i < e->nsecs; i++) {
		const struct rw_elf_sec *s = &e->secs[i];
		const struct rw_elf_sec *strtab;
		uint32_t link;

		if (s->type != RW_SHT_SYMTAB)
			continue;
		/* sh_link was checked by the caller to be a valid index. */
		link = rw_le32(e->buf + rw_le32(e->buf + 32) + i * 40 + 24);
		strtab = link < e->nsecs ? &e->secs[link] : NULL;
		for (j = 0; j + 16 <= s->size; j += 16) {
			const uint8_t *p = e->buf + s->off + j;
			const char *name;

			if ((p[12] & 0xf) != RW_STT_FUNC || !rw_le32(p + 4))
				continue;
			name = rw_elf_str(e, strtab, rw_le32(p));
			e->syms[e->nsyms].value = rw_le32(p + 4);
			e->syms[e->nsyms].size = rw_le32(p + 8);
			e->syms[e->nsyms].name = name ? name : "";
			e->nsyms++;
		}
	}
	return 0;
}

/**
 * rw_elf_parse() - parse and check an ELF32 i386 image
 * @e:		filled in; free with rw_elf_free()
 * @buf:	the image (must outlive @e)
 * @len:	its length
 * @err:	error report
 *
 * Return: 0, -ENOEXEC (not ELF / wrong class or machine) or -EBADMSG
 * (headers pointing outside the file), -ENOMEM.
 */
int rw_elf_parse(struct rw_elf *e, const uint8_t *buf, size_t len, struct rw_err *err)
{
	uint32_t shoff, phoff;
	uint16_t shnum, phnum, shentsize, phentsize, shstrndx, machine;
	size_t i;
	int ret;

	memset(e, 0, sizeof(*e));
	e->buf = buf;
	e->len = len;
	if (len < 4 || memcmp(buf, "\177ELF", 4))
		return rw_err_set(err, -ENOEXEC, "not an ELF file");
	if (len < 52)
		return rw_err_set(err, -EBADMSG, "ELF truncated inside its header");
	machine = rw_le16(buf + 18);
	if (buf[4] == 2 || machine == RW_EM_X86_64)
		return rw_err_set(err, -ENOEXEC, "wrong architecture: 64-bit ELF, need i386 (ELF32)");
	if (buf[4] != 1 || buf[5] != 1)
		return rw_err_set(err, -ENOEXEC, "wrong architecture: need a 32-bit little-endian ELF");
	if (machine != RW_EM_386)
		return rw_err_set(err, -ENOEXEC, "wrong architecture: e_machine %u, need EM_386 (3)",
				  machine);
	e->type = rw_le16(buf + 16);
	e->entry = rw_le32(buf + 24);
	phoff = rw_le32(buf + 28);
	shoff = rw_le32(buf + 32);
	phentsize = rw_le16(buf + 42);
	phnum = rw_le16(buf + 44);
	shentsize = rw_le16(buf + 46);
	shnum = rw_le16(buf + 48);
	shstrndx = rw_le16(buf + 50);
	e->phoff = phoff;
	e->shoff = shnum ? shoff : 0;

	if (phnum && (phentsize != 32 || !rw_elf_in_file(len, phoff, (uint64_t)phnum * 32)))
		return rw_err_set(err, -EBADMSG, "ELF truncated: program headers outside the file");
	if (shnum && (shentsize != 40 || !rw_elf_in_file(len, shoff, (uint64_t)shnum * 40)))
		return rw_err_set(err, -EBADMSG, "ELF truncated: section headers outside the file");
	if (!phnum)
		return rw_err_set(err, -ENOEXEC, "ELF has no program headers: not a kernel image");

	e->segs = calloc(phnum, sizeof(*e->segs));
	if (!e->segs)
		return rw_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < phnum; i++) {
		const uint8_t *p = buf + phoff + i * 32;
		struct rw_elf_seg *s = &e->segs[i];

		s->type = rw_le32(p);
		s->off = rw_le32(p + 4);
		s->vaddr = rw_le32(p + 8);
		s->paddr = rw_le32(p + 12);
		s->filesz = rw_le32(p + 16);
		s->memsz = rw_le32(p + 20);
		s->flags = rw_le32(p + 24);
		s->align = rw_le32(p + 28);
		if (!rw_elf_in_file(len, s->off, s->filesz)) {
			ret = rw_err_set(err, -EBADMSG,
					 "ELF truncated: segment %zu (file bytes %#x+%#x) outside the file",
					 i, s->off, s->filesz);
			goto fail;
		}
		if ((uint64_t)s->vaddr + s->memsz > 0x100000000ull || s->filesz > s->memsz) {
			ret = rw_err_set(err, -EBADMSG, "ELF segment %zu has an impossible size", i);
			goto fail;
		}
		e->nsegs++;
	}

	if (shnum) {
		e->secs = calloc(shnum, sizeof(*e->secs));
		if (!e->secs) {
			ret = rw_err_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
		for (i = 0; i < shnum; i++) {
			const uint8_t *p = buf + shoff + i * 40;
			struct rw_elf_sec *s = &e->secs[i];

			s->name = "";
			s->type = rw_le32(p + 4);
			s->flags = rw_le32(p + 8);
			s->addr = rw_le32(p + 12);
			s->off = rw_le32(p + 16);
			s->size = rw_le32(p + 20);
			if (s->type != RW_SHT_NOBITS && s->type != 0 &&
			    !rw_elf_in_file(len, s->off, s->size)) {
				ret = rw_err_set(err, -EBADMSG,
						 "ELF truncated: section %zu outside the file", i);
				goto fail;
			}
			e->nsecs++;
		}
		if (shstrndx < shnum && e->secs[shstrndx].type != RW_SHT_NOBITS) {
			for (i = 0; i < shnum; i++) {
				const char *n = rw_elf_str(e, &e->secs[shstrndx],
							   rw_le32(buf + shoff + i * 40));

				if (n)
					e->secs[i].name = n;
			}
		}
		ret = rw_elf_parse_syms(e, err);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	rw_elf_free(e);
	return ret;
}

/**
 * rw_elf_free() - release what rw_elf_parse() allocated
 * @e:		the parsed image
 */
void rw_elf_free(struct rw_elf *e)
{
	free(e->secs);
	free(e->segs);
	free(e->syms);
	e->secs = NULL;
	e->segs = NULL;
	e->syms = NULL;
	e->nsecs = e->nsegs = e->nsyms = 0;
}

/**
 * rw_elf_section() - find a section by name
 * @e:		image
 * @name:	section name
 *
 * Return: the section, or NULL.
 */
const struct rw_elf_sec *rw_elf_section(const struct rw_elf *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nsecs; i++)
		if (!strcmp(e->secs[i].name, name))
			return &e->secs[i];
	return NULL;
}

/**
 * rw_elf_segment_type() - first program header of a type
 * @e:		image
 * @type:	p_type
 *
 * Return: the segment, or NULL.
 */
const struct rw_elf_seg *rw_elf_segment_type(const struct rw_elf *e, uint32_t type)
{
	size_t i;

	for (i = 0; i < e->nsegs; i++)
		if (e->segs[i].type == type)
			return &e->segs[i];
	return NULL;
}

/**
 * rw_elf_va_off() - file offset of a virtual address range
 * @e:		image
 * @va:		first address
 * @len:	bytes needed
 * @off:	set to the file offset of @va
 *
 * Return: 0, or -ERANGE if the range is not file-backed inside one PT_LOAD.
 */
int rw_elf_va_off(const struct rw_elf *e, uint32_t va, uint32_t len, size_t *off)
{
	size_t i;

	for (i = 0; i < e->nsegs; i++) {
		const struct rw_elf_seg *s = &e->segs[i];

		if (s->type != RW_PT_LOAD || va < s->vaddr)
			continue;
		if ((uint64_t)va - s->vaddr + len > s->filesz)
			continue;
		*off = s->off + (va - s->vaddr);
		return 0;
	}
	return -ERANGE;
}

/**
 * rw_elf_va_ptr() - checked pointer to file-backed bytes at a virtual address
 * @e:		image
 * @va:		first address
 * @len:	bytes needed
 *
 * Return: a pointer into the image, or NULL.
 */
const uint8_t *rw_elf_va_ptr(const struct rw_elf *e, uint32_t va, uint32_t len)
{
	size_t off;

	if (rw_elf_va_off(e, va, len, &off))
		return NULL;
	return e->buf + off;
}

/**
 * rw_elf_hits_headers() - do file bytes overlap the ELF, program or section headers?
 * @e:		image
 * @off:	file offset
 * @len:	bytes
 *
 * Return: 1 if they do (such bytes must never be rewritten), else 0.
 */
int rw_elf_hits_headers(const struct rw_elf *e, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;

	if (off < 52)
		return 1;
	if (off < (uint64_t)e->phoff + e->nsegs * 32 && e->phoff < end)
		return 1;
	if (e->nsecs && off < (uint64_t)e->shoff + e->nsecs * 40 && e->shoff < end)
		return 1;
	return 0;
}
