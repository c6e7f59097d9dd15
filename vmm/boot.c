// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* boot.c - load an ELF32 kernel or a bzImage, and fill the zero page.
 *
 * Theory of operation: the kernel file is read whole into memory and
 * recognised by its magic: an ELF32 executable is loaded segment by segment
 * at its physical addresses (p_paddr) and entered at e_entry; a bzImage's
 * setup header is validated and its protected-mode part loaded at 1 MiB,
 * entered at code32_start as the 32-bit boot protocol describes.  Either way
 * the monitor writes a struct boot_params ("zero page") at BOOT_PARAMS_GPA
 * holding the setup header (bzImage), the command line pointer, the initrd
 * and an e820 map, and a boot GDT with the flat __BOOT_CS/__BOOT_DS
 * descriptors; %esi points at the zero page on entry.  Every field read from
 * the file is bounds-checked against the file size before use; every write
 * goes through gpa_checked().  A bad file gives a message naming the
 * problem, never a crash.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot.h"
#include "vmm/hypercall.h"
#include "vmm/vm.h"

#define BOOT_FILE_MAX	(512u << 20)

static uint16_t boot_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t boot_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void boot_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void boot_put64(uint8_t *p, uint64_t v)
{
	boot_put32(p, (uint32_t)v);
	boot_put32(p + 4, (uint32_t)(v >> 32));
}

/**
 * boot_elf32_parse() - validate an ELF32 i386 executable
 * @buf:	file contents
 * @len:	file size
 * @mem_size:	guest RAM: every segment must fit below it
 * @out:	summary, filled on success
 * @why:	on failure, a static message naming the problem
 *
 * Return: 0, or -ENOEXEC (not an ELF32 i386 EXEC) / -EINVAL (inconsistent)
 * / -E2BIG (does not fit in RAM).
 */
/*
 * A PT_LOAD in the reserved top 16 MiB of an image that has a site table
 * is ulvm-rewrite's patch area (rewriter/vcpu_abi.h): it is mapped at its
 * virtual address, not loaded into RAM.  The headers are in the file.
 */
static bool boot_elf_is_patch(const uint8_t *buf, uint32_t phoff, uint16_t phentsize,
			      uint16_t phnum, const uint8_t *ph)
{
	uint16_t i;

	if (boot_le32(ph + 8) < ULVM_RESERVED_BASE || boot_le32(ph + 12) < ULVM_RESERVED_BASE)
		return false;
	for (i = 0; i < phnum; i++)
		if (boot_le32(buf + phoff + (size_t)i * phentsize) == ULVM_PT_SITES)
			return true;
	return false;
}

int boot_elf32_parse(const uint8_t *buf, size_t len, uint64_t mem_size,
		     struct boot_elf_info *out, const char **why)
{
	uint32_t phoff;
	uint16_t phentsize, phnum, i;

	memset(out, 0, sizeof(*out));
	out->lo = UINT64_MAX;
	if (len < 52 || memcmp(buf, "\177ELF", 4)) {
		*why = "not an ELF file";
		return -ENOEXEC;
	}
	if (buf[4] != 1 || buf[5] != 1) {
		*why = "not a 32-bit little-endian ELF";
		return -ENOEXEC;
	}
	if (boot_le16(buf + 16) != 2 || boot_le16(buf + 18) != 3) {
		*why = "not an i386 executable (ET_EXEC, EM_386)";
		return -ENOEXEC;
	}
	out->entry = boot_le32(buf + 24);
	phoff = boot_le32(buf + 28);
	phentsize = boot_le16(buf + 42);
	phnum = boot_le16(buf + 44);
	if (phentsize < 32 || !phnum || phoff > len ||
	    (uint64_t)phnum * phentsize > len - phoff) {
		*why = "program headers out of the file";
		return -EINVAL;
	}
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = buf + phoff + (size_t)i * phentsize;
		uint32_t off = boot_le32(ph + 4), pa = boot_le32(ph + 12);
		uint32_t filesz = boot_le32(ph + 16), memsz = boot_le32(ph + 20);

		if (boot_le32(ph) != 1 || !memsz)	/* PT_LOAD */
			continue;
		if (boot_elf_is_patch(buf, phoff, phentsize, phnum, ph))
			continue;			/* not in RAM: hypercall.c maps it */
		if (filesz > memsz) {
			*why = "segment with p_filesz > p_memsz";
			return -EINVAL;
		}
		if (off > len || filesz > len - off) {
			*why = "segment data beyond the end of the file";
			return -EINVAL;
		}
		if (pa < MEM_PAGE_SIZE || (uint64_t)pa + memsz > mem_size) {
			*why = "segment outside guest RAM (try a larger --mem)";
			return -E2BIG;
		}
		if (pa < out->lo)
			out->lo = pa;
		if ((uint64_t)pa + memsz > out->hi)
			out->hi = (uint64_t)pa + memsz;
		out->nload++;
	}
	if (!out->nload) {
		*why = "no loadable segment";
		return -EINVAL;
	}
	if (out->entry < out->lo || out->entry >= out->hi) {
		*why = "entry point outside the loaded segments";
		return -EINVAL;
	}
	return 0;
}

/**
 * boot_bzimage_parse() - validate a bzImage's setup header
 * @buf:	file contents
 * @len:	file size
 * @out:	header fields, filled on success
 * @why:	on failure, a static message naming the problem
 *
 * Return: 0, or -ENOEXEC (not a bzImage) / -EINVAL (inconsistent) /
 * -ENOTSUP (too old a protocol or not loadable high).
 */
int boot_bzimage_parse(const uint8_t *buf, size_t len,
		       struct boot_bz_info *out, const char **why)
{
	uint32_t syssize;

	memset(out, 0, sizeof(*out));
	if (len < 0x264 || boot_le16(buf + 0x1fe) != 0xaa55 ||
	    memcmp(buf + 0x202, "HdrS", 4)) {
		*why = "not a Linux bzImage (no boot sector signature or HdrS)";
		return -ENOEXEC;
	}
	out->version = boot_le16(buf + 0x206);
	if (out->version < 0x0206) {
		*why = "boot protocol older than 2.06";
		return -ENOTSUP;
	}
	out->setup_sects = buf[0x1f1] ? buf[0x1f1] : 4;
	out->loadflags = buf[0x211];
	if (!(out->loadflags & 1)) {
		*why = "zImage (not loaded high) is not supported";
		return -ENOTSUP;
	}
	out->hdr_end = 0x202u + buf[0x201];
	if (out->hdr_end > len || out->hdr_end < 0x264) {
		*why = "setup header length out of the file";
		return -EINVAL;
	}
	out->pm_offset = (out->setup_sects + 1u) * 512u;
	if (out->pm_offset >= len) {
		*why = "setup sectors extend beyond the end of the file";
		return -EINVAL;
	}
	out->pm_size = (uint32_t)(len - out->pm_offset);
	syssize = boot_le32(buf + 0x1f4);
	if (!syssize || (uint64_t)syssize * 16 > out->pm_size) {
		*why = "syssize does not match the file (truncated kernel?)";
		return -EINVAL;
	}
	out->code32_start = boot_le32(buf + 0x214);
	out->initrd_max = boot_le32(buf + 0x22c);
	out->kernel_alignment = boot_le32(buf + 0x230);
	out->relocatable = buf[0x234];
	out->cmdline_size = boot_le32(buf + 0x238);
	out->payload_offset = out->version >= 0x0208 ? boot_le32(buf + 0x248) : 0;
	out->payload_length = out->version >= 0x0208 ? boot_le32(buf + 0x24c) : 0;
	if (out->payload_length &&
	    (out->payload_offset > out->pm_size ||
	     out->payload_length > out->pm_size - out->payload_offset)) {
		*why = "compressed payload beyond the end of the file";
		return -EINVAL;
	}
	if (out->version >= 0x020a && out->hdr_end >= 0x264) {
		out->pref_address = boot_le32(buf + 0x258) |
				    (uint64_t)boot_le32(buf + 0x25c) << 32;
		out->init_size = boot_le32(buf + 0x260);
	}
	if (out->code32_start != BOOT_KERNEL_GPA) {
		*why = "code32_start is not 1 MiB";
		return -ENOTSUP;
	}
	return 0;
}

/**
 * boot_e820_build() - the guest's memory map
 * @mem_size:	guest RAM bytes
 * @tab:	entries out
 * @max:	room in @tab (at least 4)
 *
 * Return: number of entries written.
 */
unsigned int boot_e820_build(uint64_t mem_size, struct boot_e820 *tab,
			     unsigned int max)
{
	unsigned int n = 0;

	if (max < 4)
		return 0;
	tab[n++] = (struct boot_e820){ 0, 0x9fc00, 1 };
	tab[n++] = (struct boot_e820){ 0x9fc00, 0x400, 2 };
	tab[n++] = (struct boot_e820){ 0xf0000, 0x10000, 2 };
	if (mem_size > 0x100000)
		tab[n++] = (struct boot_e820){ 0x100000, mem_size - 0x100000, 1 };
	return n;
}

/* Read a whole file (at most BOOT_FILE_MAX) into a malloc'd buffer. */
static int boot_read_file(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t done = 0;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		e = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = -EINVAL;
		goto out;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > BOOT_FILE_MAX) {
		e = st.st_size <= 0 ? -ENODATA : -EFBIG;
		goto out;
	}
	*buf = malloc((size_t)st.st_size);
	if (!*buf) {
		e = -ENOMEM;
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + done, (size_t)st.st_size - done);

		if (r <= 0) {
			e = r < 0 ? -errno : -EIO;
			free(*buf);
			*buf = NULL;
			goto out;
		}
		done += (size_t)r;
	}
	*len = done;
	e = 0;
out:
	close(fd);
	return e;
}

static int boot_copy(struct vm *vm, uint64_t gpa, const void *src, size_t n)
{
	uint8_t *dst = gpa_checked(vm, gpa, n);

	if (!dst)
		return -E2BIG;
	memcpy(dst, src, n);
	return 0;
}

/* The site table of a kernel rewritten by ulvm-rewrite. */
static int boot_load_sites(struct vm *vm, const uint8_t *buf, size_t len,
			   uint32_t off, uint32_t size)
{
	const char *why = "";
	int rc;

	if (vm->sites.blob) {
		err("kernel: two site tables");
		return -EINVAL;
	}
	if (off > len || size > len - off) {
		err("kernel: site table beyond the end of the file");
		return -EINVAL;
	}
	rc = sites_parse(&vm->sites, buf + off, size, &why);
	if (rc) {
		err("kernel: bad site table: %s", why);
		return rc;
	}
	return 0;
}

static int boot_load_elf(struct vm *vm, const uint8_t *buf, size_t len,
			 struct boot_entry *out)
{
	struct boot_elf_info info;
	const char *why = "";
	uint16_t i, phnum = boot_le16(buf + 44), phentsize = boot_le16(buf + 42);
	uint32_t phoff = boot_le32(buf + 28);
	const uint8_t *patch = NULL;
	int rc;

	rc = boot_elf32_parse(buf, len, vm->mem.size, &info, &why);
	if (rc) {
		err("kernel: bad ELF32 image: %s", why);
		return rc;
	}
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = buf + phoff + (size_t)i * phentsize;
		uint32_t off = boot_le32(ph + 4), pa = boot_le32(ph + 12);
		uint32_t filesz = boot_le32(ph + 16), memsz = boot_le32(ph + 20);
		uint8_t *dst;

		if (boot_le32(ph) == ULVM_PT_SITES) {
			rc = boot_load_sites(vm, buf, len, off, filesz);
			if (rc)
				return rc;
			continue;
		}
		if (boot_le32(ph) != 1 || !memsz)
			continue;
		if (boot_elf_is_patch(buf, phoff, phentsize, phnum, ph)) {
			if (patch) {
				err("kernel: two patch areas");
				return -EINVAL;
			}
			patch = ph;
			continue;
		}
		dst = gpa_checked(vm, pa, memsz);
		if (!dst)
			return -E2BIG;
		memcpy(dst, buf + off, filesz);
		memset(dst + filesz, 0, memsz - filesz);
	}
	if (vm->sites.nstub && !patch) {
		err("kernel: %u sites were rewritten into stubs but the image has no patch area",
		    vm->sites.nstub);
		return -EINVAL;
	}
	if (patch) {
		rc = hc_setup(vm, buf + boot_le32(patch + 4), boot_le32(patch + 16),
			      boot_le32(patch + 8), boot_le32(patch + 20));
		if (rc)
			return rc;
	}
	out->eip = info.entry;
	out->kind = vm->sites.blob ? "rewritten ELF32" : "ELF32";
	if (vm->sites.blob)
		info("kernel: rewritten by ulvm-rewrite: %u sites, %u int3 traps, %u in stubs",
		     vm->sites.hdr.nsites, vm->sites.ntrap, vm->sites.nstub);
	return 0;
}

static int boot_load_bz(struct vm *vm, const uint8_t *buf, size_t len,
			uint8_t *bp, struct boot_entry *out)
{
	struct boot_bz_info bz;
	const char *why = "";
	uint64_t need;
	int rc;

	rc = boot_bzimage_parse(buf, len, &bz, &why);
	if (rc) {
		err("kernel: bad bzImage: %s", why);
		return rc;
	}
	need = BOOT_KERNEL_GPA + (bz.init_size > bz.pm_size ? bz.init_size : bz.pm_size);
	if (bz.pref_address > BOOT_KERNEL_GPA && bz.init_size)
		need = bz.pref_address + bz.init_size;
	if (need > vm->mem.size) {
		err("kernel: bzImage needs %llu MiB of RAM to decompress, --mem gives %llu MiB",
		    (unsigned long long)(need >> 20) + 1,
		    (unsigned long long)(vm->mem.size >> 20));
		return -E2BIG;
	}
	memcpy(bp + BP_HDR, buf + BP_HDR, bz.hdr_end - BP_HDR);
	bp[0x210] = 0xff;			/* type_of_loader: undefined */
	bp[0x211] = (uint8_t)(bz.loadflags & ~0x20);	/* QUIET_FLAG off */
	rc = boot_copy(vm, BOOT_KERNEL_GPA, buf + bz.pm_offset, bz.pm_size);
	if (rc)
		return rc;
	out->eip = bz.code32_start;
	out->kind = "bzImage";
	info("kernel: bzImage, boot protocol %u.%02u, %u setup sectors, %u KiB protected-mode code",
	     bz.version >> 8, bz.version & 0xff, bz.setup_sects, bz.pm_size >> 10);
	return 0;
}

/**
 * boot_load() - load kernel, initrd and command line into guest RAM
 * @vm:		virtual machine with its memory initialised
 * @kernel:	path of an ELF32 kernel or a bzImage
 * @initrd:	path of an initial ramdisk, or NULL
 * @cmdline:	kernel command line, or NULL
 * @tsc_khz:	host TSC rate to hand a Linux guest (tsc_early_khz=), 0: none
 * @out:	entry state for the vCPU
 *
 * Return: 0, or -errno after printing what is wrong with which file.
 */
int boot_load(struct vm *vm, const char *kernel, const char *initrd,
	      const char *cmdline, uint32_t tsc_khz, struct boot_entry *out)
{
	static const uint8_t gdt[32] = {
		[16] = 0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0,	/* 0x10 code */
		[24] = 0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0,	/* 0x18 data */
	};
	struct boot_e820 e820[8];
	uint8_t *buf = NULL, *bp;
	size_t len = 0, clen = cmdline ? strlen(cmdline) : 0;
	unsigned int n, i;
	int rc;

	memset(out, 0, sizeof(*out));
	bp = gpa_checked(vm, BOOT_PARAMS_GPA, MEM_PAGE_SIZE);
	if (!bp || vm->mem.size < 2 * BOOT_KERNEL_GPA) {
		err("guest RAM too small (at least 2 MiB)");
		return -E2BIG;
	}
	if (clen >= BOOT_CMDLINE_MAX) {
		err("--append: command line longer than %u bytes", BOOT_CMDLINE_MAX - 1);
		return -E2BIG;
	}
	rc = boot_read_file(kernel, &buf, &len);
	if (rc) {
		err("kernel %s: %s", kernel, strerror(-rc));
		return rc;
	}
	memset(bp, 0, MEM_PAGE_SIZE);
	if (len >= 4 && !memcmp(buf, "\177ELF", 4)) {
		rc = boot_load_elf(vm, buf, len, out);
		/* No setup header in an ELF: write the fields a kernel checks
		 * (an initrd is ignored without a type_of_loader). */
		bp[0x1fe] = 0x55;
		bp[0x1ff] = 0xaa;
		memcpy(bp + 0x202, "HdrS", 4);
		bp[0x206] = 0x0f;		/* protocol 2.15 */
		bp[0x207] = 0x02;
		bp[0x210] = 0xff;		/* type_of_loader: undefined */
		bp[0x211] = 0x01;		/* LOADED_HIGH */
		boot_put32(bp + 0x238, BOOT_CMDLINE_MAX - 1);	/* cmdline_size */
	} else if (len >= 0x206 && !memcmp(buf + 0x202, "HdrS", 4)) {
		rc = boot_load_bz(vm, buf, len, bp, out);
	} else {
		err("kernel %s: neither an ELF32 executable nor a bzImage", kernel);
		rc = -ENOEXEC;
	}
	free(buf);
	buf = NULL;
	if (rc)
		return rc;

	rc = boot_copy(vm, BOOT_CMDLINE_GPA, cmdline ? cmdline : "", clen + 1);
	if (rc)
		return rc;
	/* A Linux guest cannot calibrate the TSC against a PIT reached
	 * through traps (the poll times jitter too much), and its clocksource
	 * watchdog, the PIT, loses ticks when the host is busy: tell it the
	 * host's TSC rate and that it is reliable, unless the user did. */
	if (tsc_khz && (!strcmp(out->kind, "bzImage") || vm->sites.hdr.os == 1) &&
	    !(cmdline && (strstr(cmdline, "tsc_early_khz=") || strstr(cmdline, "tsc=")))) {
		char add[64];
		int an = snprintf(add, sizeof(add), "%stsc_early_khz=%u tsc=reliable",
				  clen ? " " : "", tsc_khz);

		if (an > 0 && clen + (size_t)an < BOOT_CMDLINE_MAX) {
			rc = boot_copy(vm, BOOT_CMDLINE_GPA + clen, add, (size_t)an + 1);
			if (rc)
				return rc;
		}
	}
	/* Stubs: keep the kernel's fixmap out of the patch area and vCPU page. */
	if (vm->hc.active && vm->sites.hdr.os == 1 && !(cmdline && strstr(cmdline, "reservetop="))) {
		size_t cur = strnlen(gpa_checked(vm, BOOT_CMDLINE_GPA, BOOT_CMDLINE_MAX),
				     BOOT_CMDLINE_MAX);
		char add[32];
		int an = snprintf(add, sizeof(add), "%sreservetop=16M", cur ? " " : "");

		if (an < 0 || cur + (size_t)an >= BOOT_CMDLINE_MAX) {
			err("--append: no room left for reservetop=16M");
			return -E2BIG;
		}
		rc = boot_copy(vm, BOOT_CMDLINE_GPA + cur, add, (size_t)an + 1);
		if (rc)
			return rc;
	}
	boot_put32(bp + 0x228, BOOT_CMDLINE_GPA);	/* cmd_line_ptr */
	n = boot_e820_build(vm->mem.size, e820, 8);
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		uint8_t *e = bp + BP_E820_TABLE + 20 * i;

		boot_put64(e, e820[i].addr);
		boot_put64(e + 8, e820[i].size);
		boot_put32(e + 16, e820[i].type);
	}
	boot_put32(bp + 0x1e0, (uint32_t)((vm->mem.size - 0x100000) >> 10));	/* alt_mem_k */
	rc = boot_copy(vm, BOOT_GDT_GPA, gdt, sizeof(gdt));
	if (rc)
		return rc;

	if (initrd) {
		uint64_t top = vm->mem.size, at;

		rc = boot_read_file(initrd, &buf, &len);
		if (rc) {
			err("initrd %s: %s", initrd, strerror(-rc));
			return rc;
		}
		if (top > 0x37000000)		/* stay in a 3G/1G kernel's lowmem */
			top = 0x37000000;
		at = (top - len) & ~(uint64_t)(MEM_PAGE_SIZE - 1);
		if (len > top || at < 0x1000000 + (vm->mem.size >> 3)) {
			err("initrd %s: %zu bytes do not fit (try a larger --mem)", initrd, len);
			free(buf);
			return -E2BIG;
		}
		rc = boot_copy(vm, at, buf, len);
		free(buf);
		if (rc)
			return rc;
		boot_put32(bp + 0x218, (uint32_t)at);	/* ramdisk_image */
		boot_put32(bp + 0x21c, (uint32_t)len);	/* ramdisk_size */
	}
	out->esi = BOOT_PARAMS_GPA;
	return 0;
}
