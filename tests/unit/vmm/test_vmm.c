// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_vmm.c - unit tests of the monitor's pure parts: loaders, devices,
 * guest memory bounds, page walks, instruction emulation and delivery. */

#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <capstone/capstone.h>

#include "vmm/boot.h"
#include "vmm/console.h"
#include "vmm/emul.h"
#include "vmm/irq.h"
#include "vmm/paging.h"
#include "vmm/sites.h"
#include "vmm/vm.h"

/* ---- helpers ---- */

static struct vm *tvm;
static int fds_before;

static int count_fds(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* A VM with 8 MiB of RAM and capstone, but no host mappings or signals. */
static void vm_setup(void)
{
	fds_before = count_fds();
	tvm = calloc(1, sizeof(*tvm));
	ck_assert_ptr_nonnull(tvm);
	ck_assert_int_eq(mem_init(&tvm->mem, 8u << 20), 0);
	ck_assert_int_eq(emul_init(tvm), 0);
	tvm->cpu.vm = tvm;
	tvm->cpu.gr = tvm->cpu.regs;
	tvm->cpu.cr0 = CR0_PE | CR0_ET;
	tvm->console_fd = -1;
}

static void vm_teardown(void)
{
	emul_fini(tvm);
	mem_free(&tvm->mem);
	free(tvm);
	tvm = NULL;
	ck_assert_int_eq(count_fds(), fds_before);	/* the memfd was closed */
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* ---- boot: ELF32 ---- */

/* A minimal ELF32 EXEC with one PT_LOAD of 16 bytes at 1 MiB. */
static size_t make_elf(uint8_t *b, size_t room)
{
	memset(b, 0, room);
	memcpy(b, "\177ELF\1\1\1", 7);
	b[16] = 2;			/* ET_EXEC */
	b[18] = 3;			/* EM_386 */
	b[20] = 1;
	put32(b + 24, 0x100000);	/* entry */
	put32(b + 28, 52);		/* phoff */
	b[42] = 32;			/* phentsize */
	b[44] = 1;			/* phnum */
	put32(b + 52, 1);		/* PT_LOAD */
	put32(b + 56, 84);		/* offset */
	put32(b + 60, 0xc0100000);	/* vaddr */
	put32(b + 64, 0x100000);	/* paddr */
	put32(b + 68, 16);		/* filesz */
	put32(b + 72, 32);		/* memsz */
	return 100;
}

START_TEST(test_elf_valid)
{
	uint8_t b[128];
	size_t n = make_elf(b, sizeof(b));
	struct boot_elf_info info;
	const char *why = NULL;

	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), 0);
	ck_assert_uint_eq(info.entry, 0x100000);
	ck_assert_uint_eq(info.nload, 1);
	ck_assert_uint_eq(info.lo, 0x100000);
	ck_assert_uint_eq(info.hi, 0x100020);
}
END_TEST

/* An image as ulvm-rewrite writes it with stubs: a patch area PT_LOAD at
 * 0xff000000 (not RAM) is accepted only next to a site table header. */
START_TEST(test_elf_patch_area)
{
	uint8_t b[256];
	size_t n = make_elf(b, sizeof(b));
	struct boot_elf_info info;
	const char *why = NULL;

	b[44] = 2;			/* phnum */
	memmove(b + 140, b + 84, 16);	/* segment data after the headers */
	put32(b + 56, 140);
	put32(b + 84, 1);		/* PT_LOAD: the patch area */
	put32(b + 88, 140);
	put32(b + 92, ULVM_PATCH_VADDR_DEFAULT);
	put32(b + 96, ULVM_PATCH_VADDR_DEFAULT);
	put32(b + 100, 16);
	put32(b + 104, 16);
	n = 160;
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), -E2BIG);
	b[44] = 3;			/* + PT_ULVM_SITES */
	memmove(b + 180, b + 140, 16);
	put32(b + 56, 180);
	put32(b + 88, 180);
	memset(b + 116, 0, 32);
	put32(b + 116, ULVM_PT_SITES);
	n = 200;
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), 0);
	ck_assert_uint_eq(info.nload, 1);
	ck_assert_uint_eq(info.hi, 0x100020);
}
END_TEST

START_TEST(test_elf_bad)
{
	uint8_t b[128];
	size_t n;
	struct boot_elf_info info;
	const char *why = NULL;

	n = make_elf(b, sizeof(b));
	b[4] = 2;				/* ELFCLASS64 */
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(why, "32-bit"));

	n = make_elf(b, sizeof(b));
	ck_assert_int_eq(boot_elf32_parse(b, 40, 8u << 20, &info, &why), -ENOEXEC);	/* truncated */

	n = make_elf(b, sizeof(b));
	put32(b + 28, 0xfffffff0);		/* phoff far out */
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), -EINVAL);

	n = make_elf(b, sizeof(b));
	b[44] = 0xff;				/* phnum past the end */
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), -EINVAL);

	n = make_elf(b, sizeof(b));
	put32(b + 68, 64);			/* filesz > memsz */
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), -EINVAL);

	n = make_elf(b, sizeof(b));
	put32(b + 56, 0xfffffff8);		/* offset + filesz wraps */
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), -EINVAL);

	n = make_elf(b, sizeof(b));
	put32(b + 64, 0xfffffff0);		/* beyond RAM, wraps 32 bits */
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), -E2BIG);

	n = make_elf(b, sizeof(b));
	put32(b + 64, 0);			/* physical page 0 */
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), -E2BIG);

	n = make_elf(b, sizeof(b));
	put32(b + 24, 0x200000);		/* entry outside */
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "entry"));

	n = make_elf(b, sizeof(b));
	b[18] = 62;				/* x86-64 */
	ck_assert_int_eq(boot_elf32_parse(b, n, 8u << 20, &info, &why), -ENOEXEC);
}
END_TEST

/* ---- boot: bzImage ---- */

static uint8_t *make_bz(size_t *len)
{
	size_t n = 5 * 512 + 4096;
	uint8_t *b = calloc(1, n);

	b[0x1f1] = 4;				/* setup_sects */
	put32(b + 0x1f4, 4096 / 16);		/* syssize */
	b[0x1fe] = 0x55;
	b[0x1ff] = 0xaa;
	b[0x201] = 0x6a;			/* header ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	b[0x206] = 0x0f;
	b[0x207] = 0x02;			/* 2.15 */
	b[0x211] = 0x01;			/* LOADED_HIGH */
	put32(b + 0x214, 0x100000);
	put32(b + 0x22c, 0x7fffffff);
	put32(b + 0x230, 0x200000);
	b[0x234] = 1;
	put32(b + 0x238, 2047);
	put32(b + 0x248, 0x100);		/* payload */
	put32(b + 0x24c, 0x200);
	put32(b + 0x258, 0x1000000);
	put32(b + 0x260, 0x800000);
	*len = n;
	return b;
}

START_TEST(test_bz_valid)
{
	struct boot_bz_info bz;
	const char *why = NULL;
	size_t n;
	uint8_t *b = make_bz(&n);

	ck_assert_int_eq(boot_bzimage_parse(b, n, &bz, &why), 0);
	ck_assert_uint_eq(bz.version, 0x020f);
	ck_assert_uint_eq(bz.pm_offset, 5 * 512);
	ck_assert_uint_eq(bz.pm_size, 4096);
	ck_assert_uint_eq(bz.init_size, 0x800000);
	ck_assert_uint_eq(bz.pref_address, 0x1000000);
	ck_assert(bz.relocatable);
	free(b);
}
END_TEST

START_TEST(test_bz_bad)
{
	struct boot_bz_info bz;
	const char *why = NULL;
	size_t n;
	uint8_t *b;

	b = make_bz(&n);
	b[0x1fe] = 0;
	ck_assert_int_eq(boot_bzimage_parse(b, n, &bz, &why), -ENOEXEC);
	free(b);

	b = make_bz(&n);
	ck_assert_int_eq(boot_bzimage_parse(b, 0x100, &bz, &why), -ENOEXEC);	/* short */
	ck_assert_int_eq(boot_bzimage_parse(b, 5 * 512 + 100, &bz, &why), -EINVAL);	/* truncated */
	ck_assert_ptr_nonnull(strstr(why, "syssize"));
	free(b);

	b = make_bz(&n);
	b[0x206] = 0x04;			/* 2.04 */
	ck_assert_int_eq(boot_bzimage_parse(b, n, &bz, &why), -ENOTSUP);
	free(b);

	b = make_bz(&n);
	b[0x211] = 0;				/* zImage */
	ck_assert_int_eq(boot_bzimage_parse(b, n, &bz, &why), -ENOTSUP);
	free(b);

	b = make_bz(&n);
	b[0x1f1] = 200;				/* setup beyond the file */
	ck_assert_int_eq(boot_bzimage_parse(b, n, &bz, &why), -EINVAL);
	free(b);

	b = make_bz(&n);
	put32(b + 0x24c, 0xfffffff0);		/* payload length */
	ck_assert_int_eq(boot_bzimage_parse(b, n, &bz, &why), -EINVAL);
	free(b);

	b = make_bz(&n);
	put32(b + 0x1f4, 0);			/* no protected-mode code */
	ck_assert_int_eq(boot_bzimage_parse(b, n, &bz, &why), -EINVAL);
	free(b);
}
END_TEST

/* The installed Debian kernel, when there is one, must parse. */
START_TEST(test_bz_debian)
{
	static const char *const paths[] = {
		"/boot/vmlinuz-6.1.0-50-686", "/boot/vmlinuz",
	};
	struct boot_bz_info bz;
	const char *why = NULL;
	unsigned int i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		FILE *f = fopen(paths[i], "rb");
		uint8_t *b;
		long n;

		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		b = malloc((size_t)n);
		ck_assert_ptr_nonnull(b);
		ck_assert_int_eq(fread(b, 1, (size_t)n, f), n);
		fclose(f);
		ck_assert_msg(boot_bzimage_parse(b, (size_t)n, &bz, &why) == 0, "%s: %s", paths[i], why);
		ck_assert_uint_ge(bz.version, 0x020a);
		ck_assert_uint_gt(bz.payload_length, 0);
		free(b);
		return;
	}
}
END_TEST

START_TEST(test_e820)
{
	struct boot_e820 t[8];
	unsigned int n = boot_e820_build(256u << 20, t, 8);

	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(t[0].addr, 0);
	ck_assert_uint_eq(t[0].type, 1);
	ck_assert_uint_eq(t[3].addr, 0x100000);
	ck_assert_uint_eq(t[3].addr + t[3].size, 256u << 20);
	ck_assert_uint_eq(boot_e820_build(256u << 20, t, 2), 0);
}
END_TEST

/* ---- guest memory ---- */

START_TEST(test_gpa_checked)
{
	uint64_t sz = tvm->mem.size;

	ck_assert_ptr_nonnull(gpa_checked(tvm, 0, sz));
	ck_assert_ptr_nonnull(gpa_checked(tvm, sz - 4, 4));
	ck_assert_ptr_null(gpa_checked(tvm, sz - 4, 5));
	ck_assert_ptr_null(gpa_checked(tvm, sz, 1));
	ck_assert_ptr_null(gpa_checked(tvm, UINT64_MAX, 2));	/* gpa + len wraps */
	ck_assert_ptr_null(gpa_checked(tvm, 4, UINT64_MAX));
	ck_assert_ptr_null(gpa_checked(tvm, 0, sz + 1));
	ck_assert_ptr_eq(gpa_checked(tvm, 4096, 1), tvm->mem.ram + 4096);
}
END_TEST

START_TEST(test_mem_parse)
{
	uint64_t v;

	ck_assert_int_eq(mem_parse_size("256M", &v), 0);
	ck_assert_uint_eq(v, 256ull << 20);
	ck_assert_int_eq(mem_parse_size("1G", &v), 0);
	ck_assert_uint_eq(v, 1ull << 30);
	ck_assert_int_eq(mem_parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(mem_parse_size("", &v), -EINVAL);
	ck_assert_int_eq(mem_parse_size("12Q", &v), -EINVAL);
	ck_assert_int_eq(mem_parse_size("-1M", &v), -EINVAL);
	ck_assert_int_eq(mem_parse_size("99999999999999999999", &v), -EINVAL);
	ck_assert_int_eq(mem_parse_size("17179869184G", &v), -EINVAL);
	ck_assert_int_eq(mem_init(&(struct mem){ 0 }, 0), -EINVAL);
}
END_TEST

/* ---- port table ---- */

static int test_dev_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
			    unsigned int len, bool is_write, void *opaque)
{
	uint32_t *last = opaque;

	if (is_write)
		*last = get32(data);
	else
		put32(data, 0x11223344);
	return 0;
}

START_TEST(test_io_table)
{
	struct io io = { .n = 0 };
	uint32_t last = 0, v;

	ck_assert_int_eq(io_register(&io, 0x100, 4, test_dev_handler, &last, "a"), 0);
	ck_assert_int_eq(io_register(&io, 0x103, 2, test_dev_handler, &last, "b"), -EBUSY);
	ck_assert_int_eq(io_register(&io, 0xfffe, 4, test_dev_handler, &last, "c"), -EINVAL);
	ck_assert_int_eq(io_register(&io, 0x104, 1, test_dev_handler, &last, "d"), 0);
	v = 0xdeadbeef;
	ck_assert_int_eq(io_access(&io, NULL, 0x101, &v, 2, true), 0);
	ck_assert_uint_eq(last, 0xbeef);	/* only len bytes are passed */
	ck_assert_int_eq(io_access(&io, NULL, 0x101, &v, 1, false), 0);
	ck_assert_uint_eq(v, 0x44);
	ck_assert_int_eq(io_access(&io, NULL, 0x200, &v, 2, false), -ENOENT);
	ck_assert_uint_eq(v, 0xffff);
	ck_assert_uint_eq(io.unclaimed, 1);
	ck_assert_int_eq(io_access(&io, NULL, 0x100, &v, 3, false), -EINVAL);
}
END_TEST

/* ---- PIC ---- */

static void pic_out(struct pic *p, uint16_t port, uint8_t v)
{
	pic_io_handler(NULL, port, &v, 1, true, p);
}

static uint8_t pic_in(struct pic *p, uint16_t port)
{
	uint8_t v = 0;

	pic_io_handler(NULL, port, &v, 1, false, p);
	return v;
}

static void pic_linux_init(struct pic *p)
{
	pic_init(p);
	pic_out(p, 0x20, 0x11); pic_out(p, 0xa0, 0x11);
	pic_out(p, 0x21, 0x30); pic_out(p, 0xa1, 0x38);
	pic_out(p, 0x21, 0x04); pic_out(p, 0xa1, 0x02);
	pic_out(p, 0x21, 0x01); pic_out(p, 0xa1, 0x01);
	pic_out(p, 0x21, 0x00); pic_out(p, 0xa1, 0x00);
}

START_TEST(test_pic_basic)
{
	struct pic p;

	pic_linux_init(&p);
	ck_assert_int_eq(pic_pending(&p), -1);
	pic_set_irq(&p, 4, 1);
	pic_set_irq(&p, 0, 1);
	ck_assert_int_eq(pic_pending(&p), 0x30);	/* IRQ0 outranks IRQ4 */
	ck_assert_int_eq(pic_ack(&p), 0x30);
	ck_assert_int_eq(pic_pending(&p), -1);		/* IRQ4 waits: IRQ0 in service */
	pic_out(&p, 0x20, 0x0b);			/* OCW3: read ISR */
	ck_assert_uint_eq(pic_in(&p, 0x20), 0x01);
	pic_out(&p, 0x20, 0x20);			/* EOI */
	ck_assert_int_eq(pic_pending(&p), 0x34);
	ck_assert_int_eq(pic_ack(&p), 0x34);
	pic_out(&p, 0x20, 0x64);			/* specific EOI IR4 */
	ck_assert_uint_eq(pic_in(&p, 0x20), 0x00);
	/* a level held high gives one request, not one per call */
	pic_set_irq(&p, 0, 1);
	ck_assert_int_eq(pic_pending(&p), -1);
	pic_set_irq(&p, 0, 0);
	pic_set_irq(&p, 0, 1);
	ck_assert_int_eq(pic_pending(&p), 0x30);
}
END_TEST

START_TEST(test_pic_mask_cascade)
{
	struct pic p;

	pic_linux_init(&p);
	pic_out(&p, 0x21, 0x01);			/* mask IRQ0 */
	ck_assert_uint_eq(pic_in(&p, 0x21), 0x01);
	pic_set_irq(&p, 0, 1);
	ck_assert_int_eq(pic_pending(&p), -1);
	pic_set_irq(&p, 12, 1);				/* slave IR4 */
	ck_assert_int_eq(pic_pending(&p), 0x3c);
	ck_assert_int_eq(pic_ack(&p), 0x3c);
	ck_assert_uint_eq(p.c[0].isr, 0x04);		/* cascade in service on the master */
	ck_assert_uint_eq(p.c[1].isr, 0x10);
	pic_out(&p, 0xa0, 0x20);
	pic_out(&p, 0x20, 0x20);
	ck_assert_uint_eq(p.c[0].isr | p.c[1].isr, 0);
	pic_out(&p, 0x21, 0x00);			/* unmask: the latched IRQ0 appears */
	ck_assert_int_eq(pic_pending(&p), 0x30);
	ck_assert_int_eq(pic_ack(&p), 0x30);
	ck_assert_int_eq(pic_ack(&p), 0x37);		/* nothing left: spurious IR7 */
	ck_assert_uint_eq(p.spurious, 1);
	pic_set_irq(&p, 2, 1);				/* the cascade input itself is ignored */
	pic_set_irq(&p, 99, 1);
}
END_TEST

/* ---- PIT ---- */

static uint64_t test_clock_ns;

static uint64_t test_clock(void *opaque)
{
	(void)opaque;
	return test_clock_ns;
}

static void pit_out8(struct pit *p, uint16_t port, uint8_t v)
{
	pit_io_handler(NULL, port, &v, 1, true, p);
}

static uint8_t pit_in8(struct pit *p, uint16_t port)
{
	uint8_t v;

	pit_io_handler(NULL, port, &v, 1, false, p);
	return v;
}

START_TEST(test_pit_periodic)
{
	struct pit p;
	uint16_t c;

	test_clock_ns = 1000;
	pit_init(&p, test_clock, NULL);
	ck_assert_uint_eq(pit_poll(&p, 5000000000ull), 0);	/* not programmed */
	pit_out8(&p, 0x43, 0x34);			/* ch0, lo/hi, mode 2 */
	pit_out8(&p, 0x40, 1193 & 0xff);
	ck_assert_uint_eq(p.irq_next, PIT_NEVER);	/* half a count loaded */
	pit_out8(&p, 0x40, 1193 >> 8);
	ck_assert_uint_ne(p.irq_next, PIT_NEVER);
	/* 1193 ticks = 999.847 us */
	ck_assert_uint_eq(pit_poll(&p, 1000 + 500000), 0);
	ck_assert_uint_eq(pit_poll(&p, 1000 + 999847), 1);
	ck_assert_uint_eq(pit_poll(&p, 1000 + 999900), 0);
	ck_assert_uint_eq(pit_poll(&p, 1000 + 2000000), 1);
	ck_assert_uint_eq(p.lost, 0);
	ck_assert_uint_eq(pit_poll(&p, 1000 + 10000000), 1);	/* 8 edges late: merged */
	ck_assert_uint_ge(p.lost, 7);
	/* latched read in the middle of a period */
	test_clock_ns = 1000 + 500000;
	pit_out8(&p, 0x43, 0x00);
	test_clock_ns += 300000;			/* the latch holds the old count */
	c = pit_in8(&p, 0x40);				/* low byte first */
	c = (uint16_t)(c | pit_in8(&p, 0x40) << 8);
	ck_assert_uint_ge(c, 595);
	ck_assert_uint_le(c, 598);
}
END_TEST

START_TEST(test_pit_oneshot_and_port61)
{
	struct pit p;
	uint8_t v;

	test_clock_ns = 0;
	pit_init(&p, test_clock, NULL);
	pit_out8(&p, 0x43, 0x30);			/* ch0, mode 0 */
	pit_out8(&p, 0x40, 0x00);
	pit_out8(&p, 0x40, 0x10);			/* 4096 ticks = 3.43 ms */
	ck_assert_uint_eq(pit_poll(&p, 3000000), 0);
	ck_assert_uint_eq(pit_poll(&p, 3500000), 1);
	ck_assert_uint_eq(pit_poll(&p, 9000000), 0);	/* one shot only */
	ck_assert_uint_eq(p.irq_next, PIT_NEVER);
	/* mode 4 (Linux's oneshot clockevent): one edge per count written */
	test_clock_ns = 20000000;
	pit_out8(&p, 0x43, 0x38);
	pit_out8(&p, 0x40, 0x2a);
	pit_out8(&p, 0x40, 0x00);			/* 42 ticks = 35.2 us */
	ck_assert_uint_eq(pit_poll(&p, 20000000 + 30000), 0);
	ck_assert_uint_eq(pit_poll(&p, 20000000 + 40000), 1);
	ck_assert_uint_eq(pit_poll(&p, 20000000 + 900000), 0);
	test_clock_ns = 21000000;
	pit_out8(&p, 0x40, 0x2a);			/* next event: no control word */
	pit_out8(&p, 0x40, 0x00);
	ck_assert_uint_eq(pit_poll(&p, 21000000 + 40000), 1);
	/* channel 2 gated by port 0x61, OUT2 in bit 5 */
	test_clock_ns = 10000000;
	pit_out8(&p, 0x43, 0xb0);			/* ch2, lo/hi, mode 0 */
	pit_out8(&p, 0x42, 0xff);
	pit_out8(&p, 0x42, 0x00);			/* 255 ticks = 214 us */
	v = 0x01;
	pit_port61_handler(NULL, 0x61, &v, 1, true, &p);
	pit_port61_handler(NULL, 0x61, &v, 1, false, &p);
	ck_assert_uint_eq(v & 0x20, 0);
	test_clock_ns += 300000;
	pit_port61_handler(NULL, 0x61, &v, 1, false, &p);
	ck_assert_uint_eq(v & 0x21, 0x21);
}
END_TEST

/* ---- UART ---- */

static char tx_buf[64];
static unsigned int tx_len;
static int irq_level, irq_changes;

static void test_tx(void *opaque, uint8_t c)
{
	(void)opaque;
	if (tx_len < sizeof(tx_buf))
		tx_buf[tx_len++] = (char)c;
}

static void test_irq(void *opaque, int level)
{
	(void)opaque;
	irq_level = level;
	irq_changes++;
}

static void uart_out(struct uart *u, unsigned int reg, uint8_t v)
{
	uart_io_handler(NULL, 0x3f8 + reg, &v, 1, true, u);
}

static uint8_t uart_in(struct uart *u, unsigned int reg)
{
	uint8_t v;

	uart_io_handler(NULL, 0x3f8 + reg, &v, 1, false, u);
	return v;
}

START_TEST(test_uart)
{
	struct uart u;
	unsigned int i;

	tx_len = 0;
	irq_level = 0;
	irq_changes = 0;
	uart_init(&u, test_tx, test_irq, NULL);
	uart_out(&u, 7, 0x5a);
	ck_assert_uint_eq(uart_in(&u, 7), 0x5a);
	ck_assert_uint_eq(uart_in(&u, 5) & 0x61, 0x60);	/* THRE TEMT, no data */
	uart_out(&u, 0, 'h');
	uart_out(&u, 0, 'i');
	ck_assert_uint_eq(tx_len, 2);
	ck_assert(!memcmp(tx_buf, "hi", 2));
	/* divisor latch does not transmit */
	uart_out(&u, 3, 0x80);
	uart_out(&u, 0, 0x01);
	ck_assert_uint_eq(uart_in(&u, 0), 0x01);
	uart_out(&u, 3, 0x03);
	ck_assert_uint_eq(tx_len, 2);
	/* loopback: MCR 0x1a -> MSR 0x90, THR goes to RBR */
	uart_out(&u, 4, 0x1a);
	ck_assert_uint_eq(uart_in(&u, 6) & 0xf0, 0x90);
	uart_out(&u, 0, 'x');
	ck_assert_uint_eq(uart_in(&u, 5) & 1, 1);
	ck_assert_uint_eq(uart_in(&u, 0), 'x');
	ck_assert_uint_eq(tx_len, 2);
	/* THRE interrupt, gated by OUT2 */
	uart_out(&u, 4, 0x00);
	uart_out(&u, 1, 0x02);
	ck_assert_int_eq(irq_level, 0);
	uart_out(&u, 4, 0x08);
	ck_assert_int_eq(irq_level, 1);
	ck_assert_uint_eq(uart_in(&u, 2) & 0x0f, 0x02);
	ck_assert_int_eq(irq_level, 0);			/* reading IIR cleared it */
	ck_assert_uint_eq(uart_in(&u, 2) & 0x0f, 0x01);
	/* receive: data ready interrupt, FIFO overrun */
	uart_out(&u, 1, 0x01);
	ck_assert_int_eq(uart_receive(&u, 'a'), 0);
	ck_assert_int_eq(irq_level, 1);
	ck_assert_uint_eq(uart_in(&u, 2) & 0x0f, 0x04);
	ck_assert_uint_eq(uart_in(&u, 0), 'a');
	ck_assert_int_eq(irq_level, 0);
	for (i = 0; i < UART_RX_SIZE; i++)
		ck_assert_int_eq(uart_receive(&u, (uint8_t)i), 0);
	ck_assert_int_eq(uart_receive(&u, 0), -ENOBUFS);
	ck_assert_uint_eq(u.overrun, 1);
	ck_assert_uint_eq(uart_in(&u, 0), 0);
	ck_assert_uint_eq(uart_in(&u, 0), 1);
	uart_out(&u, 2, 0x07);				/* FIFO reset */
	ck_assert_uint_eq(uart_in(&u, 5) & 1, 0);
}
END_TEST

/* ---- RTC ---- */

static time_t test_time(void)
{
	return 1700000000;	/* 2023-11-14 22:13:20 UTC, a Tuesday */
}

static uint8_t rtc_get(struct rtc *r, uint8_t idx)
{
	uint8_t v = idx;

	rtc_io_handler(NULL, 0x70, &v, 1, true, r);
	rtc_io_handler(NULL, 0x71, &v, 1, false, r);
	return v;
}

START_TEST(test_rtc)
{
	struct rtc r;
	uint8_t v;

	rtc_init(&r, test_time, 256u << 20);
	ck_assert_uint_eq(rtc_get(&r, 0x00), 0x20);
	ck_assert_uint_eq(rtc_get(&r, 0x02), 0x13);
	ck_assert_uint_eq(rtc_get(&r, 0x04), 0x22);
	ck_assert_uint_eq(rtc_get(&r, 0x06), 0x03);
	ck_assert_uint_eq(rtc_get(&r, 0x07), 0x14);
	ck_assert_uint_eq(rtc_get(&r, 0x08), 0x11);
	ck_assert_uint_eq(rtc_get(&r, 0x09), 0x23);
	ck_assert_uint_eq(rtc_get(&r, 0x32), 0x20);
	ck_assert_uint_eq(rtc_get(&r, 0x0a) & 0x80, 0);	/* no update in progress */
	ck_assert_uint_eq(rtc_get(&r, 0x0d), 0x80);
	v = 0x0b;
	rtc_io_handler(NULL, 0x70, &v, 1, true, &r);
	v = 0x06;					/* binary, 24 h */
	rtc_io_handler(NULL, 0x71, &v, 1, true, &r);
	ck_assert_uint_eq(rtc_get(&r, 0x04), 22);
	ck_assert_uint_eq(rtc_get(&r, 0x09), 23);
	v = 0x04;					/* binary, 12 h */
	rtc_io_handler(NULL, 0x70, (uint8_t[]){ 0x0b }, 1, true, &r);
	rtc_io_handler(NULL, 0x71, &v, 1, true, &r);
	ck_assert_uint_eq(rtc_get(&r, 0x04), 0x80 | 10);	/* 10 pm */
	ck_assert_uint_eq(rtc_get(&r, 0x34) | rtc_get(&r, 0x35) << 8, (256 - 16) * 16);
	ck_assert_uint_eq(rtc_get(&r, 0xff), rtc_get(&r, 0x7f));	/* NMI bit dropped */
}
END_TEST

/* ---- CPU helpers ---- */

START_TEST(test_cpu_regs_flags)
{
	struct cpu *c = &tvm->cpu;
	unsigned int sz;

	c->regs[REG_RAX] = 0x11223344;
	ck_assert_uint_eq(cpu_get_reg(c, X86_REG_AH, &sz), 0x33);
	ck_assert_uint_eq(sz, 1);
	ck_assert_uint_eq(cpu_get_reg(c, X86_REG_AX, &sz), 0x3344);
	ck_assert_int_eq(cpu_set_reg(c, X86_REG_AH, 0xab), 0);
	ck_assert_uint_eq(c->regs[REG_RAX], 0x1122ab44);
	ck_assert_int_eq(cpu_set_reg(c, X86_REG_DX, 0x12345), 0);
	ck_assert_uint_eq(c->regs[REG_RDX] & 0xffff, 0x2345);
	ck_assert_int_eq(cpu_set_reg(c, X86_REG_CR0, 1), -EINVAL);
	/* IF and IOPL are virtual, arithmetic flags live in the host frame */
	c->regs[REG_EFL] = 0x202;
	cpu_set_eflags(c, 0x3001 | FL_IF);
	ck_assert_uint_eq(c->regs[REG_EFL] & 0x3201, 0x201);
	ck_assert_uint_eq(cpu_get_eflags(c), 0x3203);
	cpu_set_eflags(c, 0x2);
	ck_assert_uint_eq(cpu_get_eflags(c) & FL_IF, 0);
	ck_assert_uint_eq(c->regs[REG_EFL] & FL_IF, FL_IF);	/* the host IF stays on */
}
END_TEST

START_TEST(test_cpu_desc_cpuid)
{
	static const uint8_t code[8] = { 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0 };
	static const uint8_t tss[8] = { 0x67, 0, 0x00, 0x30, 0x10, 0x89, 0x00, 0xc1 };
	struct cpu_desc d;
	uint32_t r[4];

	cpu_desc_decode(code, &d);
	ck_assert_uint_eq(d.base, 0);
	ck_assert_uint_eq(d.limit, 0xffffffff);
	ck_assert(d.s && d.p && d.db && (d.type & 8));
	cpu_desc_decode(tss, &d);
	ck_assert_uint_eq(d.base, 0xc1103000);
	ck_assert_uint_eq(d.limit, 0x67);
	ck_assert(!d.s && d.type == 9);
	cpu_cpuid(1, 0, r);
	ck_assert_uint_ne(r[2] & (1u << 31), 0);	/* hypervisor */
	ck_assert_uint_eq(r[3] & (1u << 11), 0);	/* no SEP */
	ck_assert_uint_eq(r[3] & (1u << 9), 0);		/* no APIC */
	ck_assert_uint_eq(r[2] & (1u << 21), 0);	/* no x2APIC */
	cpu_cpuid(0x80000001u, 0, r);
	ck_assert_uint_eq(r[3] & ((1u << 11) | (1u << 29)), 0);	/* no SYSCALL, no LM */
	cpu_cpuid(0x40000000u, 0, r);
	ck_assert(!memcmp(&r[1], "ulvmulvmulvm", 12));
	cpu_cpuid(7, 0, r);
	ck_assert_uint_eq(r[1] | r[2] | r[3], 0);	/* no SMEP/SMAP/UMIP/FSGSBASE */
}
END_TEST

/* ---- page walks ---- */

#define PD	0x10000u
#define PT	0x11000u

START_TEST(test_paging_walk)
{
	struct cpu *c = &tvm->cpu;
	uint32_t *pd = gpa_checked(tvm, PD, 4096), *pt = gpa_checked(tvm, PT, 4096);
	uint64_t gpa = 0;
	uint32_t v = 0;

	pd[0x300] = 0x00400000 | PTE_P | PTE_RW | PTE_PS;	/* 0xc0000000 -> 4 MiB */
	pd[0x100] = PT | PTE_P | PTE_RW | PTE_US;		/* 0x40000000 */
	pt[0] = 0x5000 | PTE_P | PTE_US;			/* read-only user page */
	pt[1] = 0x6000 | PTE_P | PTE_RW;			/* supervisor page */
	c->cr3 = PD;
	c->cr4 = CR4_PSE;
	c->cr0 = CR0_PE | CR0_PG | CR0_WP;
	ck_assert_int_eq(paging_translate(tvm, 0xc0012345, 0, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x412345);
	ck_assert_uint_eq(pd[0x300] & (PTE_A | PTE_D), PTE_A);
	ck_assert_int_eq(paging_translate(tvm, 0xc0000010, PG_WRITE, &gpa), 0);
	ck_assert_uint_eq(pd[0x300] & PTE_D, PTE_D);
	ck_assert_int_eq(paging_translate(tvm, 0x40000123, PG_USER, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x5123);
	ck_assert_uint_eq(pt[0] & (PTE_A | PTE_D), PTE_A);
	/* faults carry the x86 error code and CR2 */
	ck_assert_int_eq(paging_translate(tvm, 0x40000123, PG_USER | PG_WRITE, &gpa), EXC(VEC_PF, 7));
	ck_assert_uint_eq(c->pf_addr, 0x40000123);
	ck_assert_int_eq(paging_translate(tvm, 0x40000123, PG_WRITE, &gpa), EXC(VEC_PF, 3));
	c->cr0 &= ~CR0_WP;				/* WP off: the kernel may write */
	ck_assert_int_eq(paging_translate(tvm, 0x40000123, PG_WRITE, &gpa), 0);
	ck_assert_int_eq(paging_translate(tvm, 0x40001000, PG_USER, &gpa), EXC(VEC_PF, 5));
	ck_assert_int_eq(paging_translate(tvm, 0x40002000, 0, &gpa), EXC(VEC_PF, 0));
	ck_assert_int_eq(paging_translate(tvm, 0x80000000, PG_WRITE, &gpa), EXC(VEC_PF, 2));
	ck_assert_int_eq(paging_translate(tvm, 0xc0000000, PG_USER, &gpa), EXC(VEC_PF, 5));
	/* PSE off: the same PDE points at a page table */
	c->cr4 = 0;
	pd[0x300] = 0x7ffff000u | PTE_P;
	ck_assert_int_eq(paging_translate(tvm, 0xc0000000, 0, &gpa), -ERANGE);
	/* reads across a page boundary go through two translations */
	c->cr4 = CR4_PSE;
	pd[0x300] = 0x00400000 | PTE_P | PTE_RW | PTE_PS;
	put32(gpa_checked(tvm, 0x400ffe, 4), 0xa1b2c3d4);
	ck_assert_int_eq(paging_read(tvm, 0xc0000ffe, &v, 4, 0), 0);
	ck_assert_uint_eq(v, 0xa1b2c3d4);
	/* paging off: linear = physical */
	c->cr0 = CR0_PE;
	ck_assert_int_eq(paging_translate(tvm, 0x1234, PG_WRITE, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x1234);
	ck_assert_int_eq(paging_read(tvm, 0x7ffffe, &v, 4, 0), -ERANGE);	/* end of RAM */
}
END_TEST

/* ---- emulation and delivery (no signals: a fake register file) ---- */

#define CODE	0x2000u
#define IDT	0x3000u
#define GDT	0x4000u
#define STACK	0x9000u

static void load_code(const uint8_t *b, size_t n)
{
	memcpy(gpa_checked(tvm, CODE, n), b, n);
	tvm->cpu.regs[REG_RIP] = CODE;
}

static uint32_t scratch_port;

static int test_port_handler(struct cpu *cpu, uint64_t port, uint8_t *data,
			     unsigned int len, bool is_write, void *opaque)
{
	if (is_write)
		scratch_port = (scratch_port << 8) | data[0];
	else
		data[0] = 0x77;
	return 0;
}

START_TEST(test_emul_basic)
{
	struct cpu *c = &tvm->cpu;
	char what[96];
	static const uint8_t in_dx[] = { 0xec };			/* in %dx,%al */
	static const uint8_t out_imm[] = { 0xe6, 0x80 };		/* out %al,$0x80 */
	static const uint8_t mov_cr0[] = { 0x0f, 0x20, 0xc3 };		/* mov %cr0,%ebx */
	static const uint8_t lidt[] = { 0x0f, 0x01, 0x18 };		/* lidt (%eax) */
	static const uint8_t rep_outsb[] = { 0xf3, 0x6e };		/* rep outsb */
	static const uint8_t cli_hlt[] = { 0xfa, 0xf4 };
	static const uint8_t sti_hlt[] = { 0xfb, 0xf4 };
	static const uint8_t nop[] = { 0x90 };

	ck_assert_int_eq(io_register(&tvm->io, 0x80, 1, test_port_handler, NULL, "t"), 0);
	ck_assert_int_eq(io_register(&tvm->io, 0x300, 1, test_port_handler, NULL, "t"), 0);
	c->regs[REG_RDX] = 0x300;
	c->regs[REG_RAX] = 0x12345600;
	load_code(in_dx, sizeof(in_dx));
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), 0);
	ck_assert_uint_eq(c->regs[REG_RAX], 0x12345677);
	ck_assert_uint_eq(c->regs[REG_RIP], CODE + 1);
	ck_assert_str_eq(what, "in al, dx");

	load_code(out_imm, sizeof(out_imm));
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), 0);
	ck_assert_uint_eq(scratch_port & 0xff, 0x77);
	ck_assert_uint_eq(c->regs[REG_RIP], CODE + 2);

	load_code(mov_cr0, sizeof(mov_cr0));
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), 0);
	ck_assert_uint_eq(c->regs[REG_RBX], CR0_PE | CR0_ET);

	put32(gpa_checked(tvm, 0x5000, 4), 0x340007ff);
	put32(gpa_checked(tvm, 0x5004, 4), 0x12);
	c->regs[REG_RAX] = 0x5000;
	load_code(lidt, sizeof(lidt));
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), 0);
	ck_assert_uint_eq(c->idtr.limit, 0x7ff);
	ck_assert_uint_eq(c->idtr.base, 0x00123400);

	memcpy(gpa_checked(tvm, 0x5000, 3), "abc", 3);
	c->regs[REG_RSI] = 0x5000;
	c->regs[REG_RCX] = 3;
	c->regs[REG_RDX] = 0x300;
	scratch_port = 0;
	load_code(rep_outsb, sizeof(rep_outsb));
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), 0);
	ck_assert_uint_eq(scratch_port & 0xffffff, 0x616263);
	ck_assert_uint_eq(c->regs[REG_RCX], 0);
	ck_assert_uint_eq(c->regs[REG_RSI], 0x5003);

	c->vflags = FL_IF;
	load_code(cli_hlt, sizeof(cli_hlt));
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), 0);
	ck_assert_uint_eq(c->vflags & FL_IF, 0);
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), EMUL_HALT);
	ck_assert_uint_eq(c->regs[REG_RIP], CODE + 2);
	load_code(sti_hlt, sizeof(sti_hlt));		/* taken as one step */
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), EMUL_HALT);
	ck_assert_uint_eq(c->vflags & FL_IF, FL_IF);
	ck_assert_uint_eq(c->regs[REG_RIP], CODE + 2);

	load_code(nop, sizeof(nop));			/* never traps: not emulated */
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), -ENOSYS);
	ck_assert_uint_eq(c->regs[REG_RIP], CODE);

	c->cpl = 3;					/* privileged at CPL 3: #GP(0) */
	load_code(cli_hlt + 1, 1);
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), EXC(VEC_GP, 0));
	load_code(mov_cr0, sizeof(mov_cr0));
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), EXC(VEC_GP, 0));
	load_code(in_dx, sizeof(in_dx));
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), EXC(VEC_GP, 0));
	ck_assert_uint_eq(c->regs[REG_RIP], CODE);
}
END_TEST

START_TEST(test_irq_deliver_iret)
{
	struct cpu *c = &tvm->cpu;
	uint8_t *idt = gpa_checked(tvm, IDT, 256 * 8);
	uint8_t *gdt = gpa_checked(tvm, GDT, 24);
	static const uint8_t iret[] = { 0xcf };
	uint8_t *st;
	char what[96];

	/* GDT: 0x08 flat code, 0x10 flat data; IDT[0x20] interrupt gate */
	memcpy(gdt + 8, (uint8_t[]){ 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0 }, 8);
	memcpy(gdt + 16, (uint8_t[]){ 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0 }, 8);
	memcpy(idt + 0x20 * 8, (uint8_t[]){ 0x78, 0x56, 0x08, 0, 0, 0x8e, 0x34, 0x12 }, 8);
	c->gdtr = (struct cpu_dtr){ GDT, 23 };
	c->idtr = (struct cpu_dtr){ IDT, 256 * 8 - 1 };
	ck_assert_int_eq(cpu_load_seg(c, SEG_CS, 0x08, NULL), 0);
	ck_assert_int_eq(cpu_load_seg(c, SEG_SS, 0x10, NULL), 0);
	ck_assert_int_eq(cpu_load_seg(c, SEG_SS, 0x30, NULL), EXC(VEC_GP, 0x30));	/* beyond limit */
	ck_assert_int_eq(cpu_load_seg(c, SEG_SS, 0x08, NULL), EXC(VEC_GP, 0x08));	/* code as SS */
	/* a host selector the guest read natively maps back to its own */
	ck_assert_int_eq(cpu_load_seg(c, SEG_DS, c->seg[SEG_SS].host, NULL), 0);
	ck_assert_uint_eq(c->seg[SEG_DS].sel, 0x10);
	c->regs[REG_RSP] = STACK;
	c->regs[REG_RIP] = 0xabcd;
	c->regs[REG_EFL] = 0x202 | FL_CF;
	c->vflags = FL_IF;
	ck_assert_int_eq(irq_deliver(tvm, 0x20, IRQ_HW, false, 0), 0);
	ck_assert_uint_eq(c->regs[REG_RIP], 0x12345678);
	ck_assert_uint_eq(c->regs[REG_RSP], STACK - 12);
	ck_assert_uint_eq(c->vflags & FL_IF, 0);	/* interrupt gate */
	st = gpa_checked(tvm, STACK - 12, 12);
	ck_assert_uint_eq(get32(st), 0xabcd);
	ck_assert_uint_eq(get32(st + 4), 0x08);		/* the guest's own selector */
	ck_assert_uint_eq(get32(st + 8), 0x203 | FL_IF);	/* CF and the virtual IF */
	ck_assert_uint_eq(tvm->stats.vector[0x20], 1);
	/* a frame holding the host's selector (a native push %cs) still works */
	put32(st + 4, c->seg[SEG_CS].host);
	load_code(iret, sizeof(iret));
	ck_assert_int_eq(emul_insn(tvm, what, sizeof(what)), 0);
	ck_assert_uint_eq(c->regs[REG_RIP], 0xabcd);
	ck_assert_uint_eq(c->regs[REG_RSP], STACK);
	ck_assert_uint_eq(c->vflags & FL_IF, FL_IF);
	ck_assert_uint_eq(c->seg[SEG_CS].sel, 0x08);
	ck_assert_int_eq(c->cpl, 0);
	/* a vector beyond the IDT limit: #GP, then #DF, then a triple fault */
	c->idtr.limit = 0x20 * 8 + 7;
	ck_assert_int_eq(irq_deliver(tvm, 0x30, IRQ_HW, false, 0), -EFAULT);
	ck_assert(tvm->exit_req);
	ck_assert_int_eq(tvm->exit_code, 3);
}
END_TEST

START_TEST(test_emul_silent)
{
	struct cpu *c = &tvm->cpu;
	char what[96];
	static const uint8_t pushfd[] = { 0x9c }, popfd[] = { 0x9d };
	static const uint8_t sgdt[] = { 0x0f, 0x01, 0x00 };		/* sgdt (%eax) */
	static const uint8_t mov_ds[] = { 0x8c, 0xd8 };			/* mov %ds,%eax */
	static const uint8_t push_cs[] = { 0x0e };
	static const uint8_t smsw[] = { 0x0f, 0x01, 0xe0 };		/* smsw %eax */
	uint8_t *st = gpa_checked(tvm, STACK - 4, 4), *m = gpa_checked(tvm, 0x5000, 6);

	/* a rewritten pushf shows the virtual IF, not the host's */
	c->regs[REG_RSP] = STACK;
	c->regs[REG_EFL] = 0x202 | FL_CF;
	c->vflags = 0;
	ck_assert_int_eq(emul_bytes(tvm, CODE, pushfd, 1, what, sizeof(what)), 0);
	ck_assert_uint_eq(get32(st), 0x3);
	ck_assert_uint_eq(c->regs[REG_RIP], CODE + 1);
	/* popf at CPL 0 sets IF and IOPL, never TF */
	put32(st, FL_IF | 0x3000 | FL_TF | 0x40);
	ck_assert_int_eq(emul_bytes(tvm, CODE, popfd, 1, what, sizeof(what)), 0);
	ck_assert_uint_eq(c->regs[REG_RSP], STACK);
	ck_assert_uint_eq(c->vflags & (FL_IF | FL_IOPL | FL_TF), FL_IF | FL_IOPL);
	ck_assert_uint_eq(c->regs[REG_EFL] & 0x41, 0x40);
	/* at CPL 3 with IOPL 0, popf cannot touch IF or IOPL */
	c->cpl = 3;
	c->vflags = FL_IF;
	c->regs[REG_RSP] = STACK - 4;
	put32(st, 0x3002);
	ck_assert_int_eq(emul_bytes(tvm, CODE, popfd, 1, what, sizeof(what)), 0);
	ck_assert_uint_eq(c->vflags & (FL_IF | FL_IOPL), FL_IF);
	c->cpl = 0;
	/* descriptor-table and segment reads give the guest's values */
	c->gdtr = (struct cpu_dtr){ 0xc1c43000, 0xff };
	c->regs[REG_RAX] = 0x5000;
	ck_assert_int_eq(emul_bytes(tvm, CODE, sgdt, 3, what, sizeof(what)), 0);
	ck_assert_uint_eq(m[0] | m[1] << 8, 0xff);
	ck_assert_uint_eq(get32(m + 2), 0xc1c43000);
	c->seg[SEG_DS].sel = 0x7b;
	c->seg[SEG_CS].sel = 0x60;
	ck_assert_int_eq(emul_bytes(tvm, CODE, mov_ds, 2, what, sizeof(what)), 0);
	ck_assert_uint_eq(c->regs[REG_RAX], 0x7b);
	c->regs[REG_RSP] = STACK;
	ck_assert_int_eq(emul_bytes(tvm, CODE, push_cs, 1, what, sizeof(what)), 0);
	ck_assert_uint_eq(get32(st) & 0xffff, 0x60);
	ck_assert_int_eq(emul_bytes(tvm, CODE, smsw, 3, what, sizeof(what)), 0);
	ck_assert_uint_eq(c->regs[REG_RAX], CR0_PE | CR0_ET);
	/* bytes that are not exactly one instruction are refused */
	ck_assert_int_eq(emul_bytes(tvm, CODE, sgdt, 2, what, sizeof(what)), -EILSEQ);
	ck_assert_int_eq(emul_bytes(tvm, CODE, smsw, 1, what, sizeof(what)), -EILSEQ);
}
END_TEST

START_TEST(test_emul_page0)
{
	struct cpu *c = &tvm->cpu;
	char what[96];
	static const uint8_t movzwl[] = { 0x0f, 0xb7, 0x05, 0x0e, 0x04, 0, 0 };	/* movzwl 0x40e,%eax */
	static const uint8_t movb[] = { 0xc6, 0x05, 0x10, 0, 0, 0, 0x5a };	/* movb $0x5a,0x10 */
	static const uint8_t addl[] = { 0x01, 0x05, 0x10, 0, 0, 0 };		/* addl %eax,0x10 */

	put32(gpa_checked(tvm, 0x40c, 4), 0x9fc00000);
	c->regs[REG_RAX] = 0xffffffff;
	load_code(movzwl, sizeof(movzwl));
	ck_assert_int_eq(emul_mem(tvm, 0x40e, what, sizeof(what)), 0);
	ck_assert_uint_eq(c->regs[REG_RAX], 0x9fc0);
	ck_assert_uint_eq(c->regs[REG_RIP], CODE + sizeof(movzwl));
	load_code(movb, sizeof(movb));
	ck_assert_int_eq(emul_mem(tvm, 0x10, what, sizeof(what)), 0);
	ck_assert_uint_eq(*(uint8_t *)gpa_checked(tvm, 0x10, 1), 0x5a);
	load_code(addl, sizeof(addl));		/* flags: not emulated, said so */
	ck_assert_int_eq(emul_mem(tvm, 0x10, what, sizeof(what)), -ENOSYS);
	ck_assert_uint_eq(c->regs[REG_RIP], CODE);
	load_code(movzwl, sizeof(movzwl));	/* the access is not the faulting page */
	ck_assert_int_eq(emul_mem(tvm, 0x2000, what, sizeof(what)), -ENOSYS);
}
END_TEST

/* ---- site table ---- */

static uint8_t *make_sites(size_t *len, uint32_t nsites)
{
	size_t n = sizeof(struct ulvm_st_header) + nsites * sizeof(struct ulvm_st_site);
	uint8_t *b = calloc(1, n);
	struct ulvm_st_header h = { .version = ULVM_SITETAB_VERSION };
	uint32_t i;

	memcpy(h.magic, ULVM_SITETAB_MAGIC, 8);
	h.header_size = sizeof(h);
	h.region_size = sizeof(struct ulvm_st_region);
	h.site_size = sizeof(struct ulvm_st_site);
	h.tabpatch_size = sizeof(struct ulvm_st_tabpatch);
	h.nsites = nsites;
	h.page_offset = 0xc0000000u;
	memcpy(b, &h, sizeof(h));
	for (i = 0; i < nsites; i++) {
		struct ulvm_st_site st = { .id = i, .len = 1, .disp = ULVM_SD_TRAP,
					   .cls = ULVM_SC_CLI, .insn = { 0xfa } };

		st.vaddr = 0xc1000000u + 0x100 * (nsites - i);	/* unsorted */
		memcpy(b + sizeof(h) + i * sizeof(st), &st, sizeof(st));
	}
	*len = n;
	return b;
}

START_TEST(test_sites)
{
	struct sites st;
	struct ulvm_st_site s;
	const char *why = NULL;
	size_t n;
	uint8_t *b = make_sites(&n, 5);

	ck_assert_int_eq(sites_parse(&st, b, n, &why), 0);
	ck_assert_uint_eq(st.ntrap, 5);
	ck_assert_int_eq(sites_find(&st, 0xc1000300, &s), 0);
	ck_assert_uint_eq(s.id, 2);
	ck_assert_int_eq(sites_find(&st, 0xc1000100, &s), 0);
	ck_assert_uint_eq(s.id, 4);
	ck_assert_int_eq(sites_find(&st, 0xc1000101, &s), -ENOENT);
	ck_assert_int_eq(sites_find(&st, 0, &s), -ENOENT);
	sites_free(&st);
	ck_assert_int_eq(sites_parse(&st, b, n - 1, &why), -EINVAL);	/* truncated */
	ck_assert_ptr_nonnull(strstr(why, "beyond"));
	ck_assert_int_eq(sites_parse(&st, b, 40, &why), -EINVAL);
	b[0] = 'X';
	ck_assert_int_eq(sites_parse(&st, b, n, &why), -EINVAL);
	b[0] = 'U';
	put32(b + 8, 2);					/* version */
	ck_assert_int_eq(sites_parse(&st, b, n, &why), -ENOTSUP);
	put32(b + 8, ULVM_SITETAB_VERSION);
	put32(b + 28, 0x10000000);				/* nsites */
	ck_assert_int_eq(sites_parse(&st, b, n, &why), -EINVAL);
	put32(b + 28, 5);
	b[sizeof(struct ulvm_st_header) + 3 * sizeof(struct ulvm_st_site) + 19] = 0;	/* len 0 */
	ck_assert_int_eq(sites_parse(&st, b, n, &why), -EINVAL);
	ck_assert_ptr_null(st.blob);
	free(b);
}
END_TEST

/* Stub mode: the virtual IF and the pending flag in the vCPU page. */
START_TEST(test_hc_sync)
{
	struct ulvm_vcpu_page page;
	uint8_t patch[16] = { 0 };

	/* no site table, then a wrong ABI version: refused, nothing mapped */
	ck_assert_int_eq(hc_setup(tvm, patch, 16, ULVM_PATCH_VADDR_DEFAULT, 16), -EINVAL);
	tvm->sites.blob = patch;
	tvm->sites.hdr.vcpu_abi = ULVM_VCPU_ABI_VERSION + 1;
	ck_assert_int_eq(hc_setup(tvm, patch, 16, ULVM_PATCH_VADDR_DEFAULT, 16), -ENOTSUP);
	tvm->sites.hdr.vcpu_abi = ULVM_VCPU_ABI_VERSION;
	tvm->sites.hdr.patch_vaddr = ULVM_PATCH_VADDR_DEFAULT;
	tvm->sites.hdr.vcpu_vaddr = ULVM_VCPU_VADDR_DEFAULT;
	ck_assert_int_eq(hc_setup(tvm, patch, 16, ULVM_PATCH_VADDR_DEFAULT + 8, 16), -EINVAL);
	ck_assert_int_eq(hc_setup(tvm, patch, 32, ULVM_PATCH_VADDR_DEFAULT, 16), -EINVAL);
	tvm->sites.blob = NULL;
	ck_assert(!tvm->hc.active);

	/* the page as the stubs see it */
	memset(&page, 0, sizeof(page));
	pic_init(&tvm->pic);
	tvm->hc.active = true;
	tvm->hc.page = &page;
	tvm->cpu.vflags = FL_IF;
	hc_sync_in(tvm);			/* a cli stub ran: vif 0 */
	ck_assert_uint_eq(tvm->cpu.vflags & FL_IF, 0);
	page.vif = 1;
	hc_sync_in(tvm);
	ck_assert_uint_eq(tvm->cpu.vflags & FL_IF, FL_IF);
	tvm->cpu.vflags = 0;
	hc_sync_out(tvm);
	ck_assert_uint_eq(page.vif, 0);
	ck_assert_uint_eq(page.pending, 0);
	tvm->pic.c[0].imr = 0;			/* IRQ 0 unmasked and raised */
	pic_set_irq(&tvm->pic, 0, 1);
	hc_sync_out(tvm);
	ck_assert_uint_eq(page.pending, 1);	/* the next sti stub calls in */
	tvm->cpu.vflags = FL_IF;
	hc_sync_out(tvm);
	ck_assert_uint_eq(page.vif, 1);
	ck_assert_uint_eq(page.pending, 0);	/* taken on the way out instead */
	tvm->hc.active = false;
	tvm->hc.page = NULL;
}
END_TEST

START_TEST(test_console_panic_watch)
{
	static const char out[] = "[ 1.0] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n";
	static const char near[] = "Kernel panic - not syncin\nKKernel panic - not syncing";
	static const char halt[] = "[ 14.8] reboot: System halted\r\n";
	unsigned int i, hits = 0;

	ck_assert(!console_panic_due(1000));
	ck_assert(!console_seen_event(CONSOLE_EV_PANIC));
	for (i = 0; near[i]; i++)
		hits += console_watch((uint8_t)near[i], 1000) == CONSOLE_EV_PANIC;
	ck_assert_uint_eq(hits, 1);			/* only the complete one */
	ck_assert(!console_panic_due(1000 + 100000000ull));
	ck_assert(console_panic_due(1000 + 600000000ull));
	for (i = 0; out[i]; i++)
		hits += console_watch((uint8_t)out[i], 2000) == CONSOLE_EV_PANIC;
	ck_assert_uint_eq(hits, 2);
	ck_assert(!console_seen_event(CONSOLE_EV_HALT));
	for (i = 0; halt[i]; i++)
		console_watch((uint8_t)halt[i], 3000);
	ck_assert(console_seen_event(CONSOLE_EV_HALT));
	ck_assert(!console_seen_event(CONSOLE_EV_POWEROFF));
	ck_assert(!console_seen_event(99));
}
END_TEST

START_TEST(test_console_escape)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	ck_assert_ptr_nonnull(vm);
	ck_assert(console_escape(vm, 'a'));
	ck_assert(!console_escape(vm, 0x01));		/* Ctrl-A: held */
	ck_assert(console_escape(vm, 0x01));		/* Ctrl-A Ctrl-A: one Ctrl-A */
	ck_assert(!console_escape(vm, 0x01));
	ck_assert(!console_escape(vm, 'q'));		/* unknown command: dropped */
	ck_assert(!vm->exit_req);
	ck_assert(!console_escape(vm, 0x01));
	ck_assert(!console_escape(vm, 'x'));		/* Ctrl-A x: quit */
	ck_assert(vm->exit_req);
	ck_assert_int_eq(vm->exit_code, 0);
	free(vm);
}
END_TEST

/* Random corruption of valid inputs: the parsers must refuse or accept,
 * never read outside the buffer (run under --enable-asan to see it). */
START_TEST(test_parsers_mutated)
{
	struct boot_elf_info info;
	struct boot_bz_info bz;
	struct sites st;
	const char *why;
	uint8_t elf[128], *bzb, *sb, *copy;
	size_t n, bzn, sn;
	unsigned int seed = 12345, i, j;

	n = make_elf(elf, sizeof(elf));
	bzb = make_bz(&bzn);
	sb = make_sites(&sn, 8);
	copy = malloc(bzn > sn ? bzn : sn);
	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < 20000; i++) {
		size_t len;

		memcpy(copy, elf, n);
		for (j = 0; j < 1 + (unsigned int)rand_r(&seed) % 4; j++)
			copy[rand_r(&seed) % n] = (uint8_t)rand_r(&seed);
		len = rand_r(&seed) % 8 ? n : rand_r(&seed) % n;
		boot_elf32_parse(copy, len, 8u << 20, &info, &why);

		memcpy(copy, bzb, bzn);
		for (j = 0; j < 1 + (unsigned int)rand_r(&seed) % 4; j++)
			copy[0x1f0 + rand_r(&seed) % 0x80] = (uint8_t)rand_r(&seed);
		len = rand_r(&seed) % 8 ? bzn : rand_r(&seed) % bzn;
		boot_bzimage_parse(copy, len, &bz, &why);

		memcpy(copy, sb, sn);
		for (j = 0; j < 1 + (unsigned int)rand_r(&seed) % 4; j++)
			copy[rand_r(&seed) % sn] = (uint8_t)rand_r(&seed);
		len = rand_r(&seed) % 8 ? sn : rand_r(&seed) % sn;
		if (!sites_parse(&st, copy, len, &why)) {
			struct ulvm_st_site s;

			sites_find(&st, 0xc1000100, &s);
			sites_free(&st);
		}
	}
	free(copy);
	free(sb);
	free(bzb);
}
END_TEST

Suite *vmm_suite(void);

Suite *vmm_suite(void)
{
	Suite *s = suite_create("vmm");
	TCase *t;

	t = tcase_create("boot");
	tcase_add_test(t, test_elf_valid);
	tcase_add_test(t, test_elf_bad);
	tcase_add_test(t, test_elf_patch_area);
	tcase_add_test(t, test_bz_valid);
	tcase_add_test(t, test_bz_bad);
	tcase_add_test(t, test_bz_debian);
	tcase_add_test(t, test_e820);
	tcase_add_test(t, test_sites);
	tcase_add_test(t, test_parsers_mutated);
	suite_add_tcase(s, t);

	t = tcase_create("devices");
	tcase_add_test(t, test_io_table);
	tcase_add_test(t, test_pic_basic);
	tcase_add_test(t, test_pic_mask_cascade);
	tcase_add_test(t, test_pit_periodic);
	tcase_add_test(t, test_pit_oneshot_and_port61);
	tcase_add_test(t, test_uart);
	tcase_add_test(t, test_rtc);
	tcase_add_test(t, test_mem_parse);
	tcase_add_test(t, test_console_panic_watch);
	tcase_add_test(t, test_console_escape);
	suite_add_tcase(s, t);

	t = tcase_create("cpu");
	tcase_add_checked_fixture(t, vm_setup, vm_teardown);
	tcase_add_test(t, test_gpa_checked);
	tcase_add_test(t, test_cpu_regs_flags);
	tcase_add_test(t, test_cpu_desc_cpuid);
	tcase_add_test(t, test_paging_walk);
	tcase_add_test(t, test_emul_basic);
	tcase_add_test(t, test_irq_deliver_iret);
	tcase_add_test(t, test_emul_silent);
	tcase_add_test(t, test_emul_page0);
	tcase_add_test(t, test_hc_sync);
	suite_add_tcase(s, t);
	return s;
}
