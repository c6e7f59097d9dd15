// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_rewriter.c - unit tests of ulvm-rewrite on hand-written x86-32 snippets. */

/*
 * Each test builds a small ELF32 "kernel" in memory (tb_build(): one
 * PT_LOAD, a .text section, function symbols, optional extra sections),
 * rewrites it with rw_rewrite(), parses the site table it produced and
 * checks the disposition of each site and the bytes in place and in the
 * stubs.  Every rewritten image also goes through rw_check() against
 * its original.  Instruction bytes are written by hand, commented with
 * their assembly.
 */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewriter/classify.h"
#include "rewriter/elf32.h"
#include "rewriter/fuzz.h"
#include "rewriter/image.h"
#include "rewriter/rewrite.h"
#include "rewriter/sitetab.h"
#include "rewriter/stub.h"
#include "rewriter/vcpu_abi.h"
#include "tests/unit/rewriter/exec32.h"
#include "tests/unit/rewriter/tb.h"

/* ---- classification ---- */

struct tb_cls {
	const char *bytes;
	size_t len;
	unsigned int cls;
};

#define TB_C(b, c) { b, sizeof(b) - 1, c }

static const struct tb_cls tb_classes[] = {
	TB_C("\xfa", ULVM_SC_CLI),
	TB_C("\xfb", ULVM_SC_STI),
	TB_C("\xf4", ULVM_SC_HLT),
	TB_C("\xe4\x60", ULVM_SC_IN),
	TB_C("\xec", ULVM_SC_IN),
	TB_C("\x66\xed", ULVM_SC_IN),
	TB_C("\xe6\x80", ULVM_SC_OUT),
	TB_C("\xee", ULVM_SC_OUT),
	TB_C("\xf3\x6d", ULVM_SC_INS),
	TB_C("\xf3\x6e", ULVM_SC_OUTS),
	TB_C("\x0f\x20\xd8", ULVM_SC_MOV_CR),	/* mov %cr3,%eax */
	TB_C("\x0f\x22\xc0", ULVM_SC_MOV_CR),	/* mov %eax,%cr0 */
	TB_C("\x0f\x21\xf8", ULVM_SC_MOV_DR),	/* mov %dr7,%eax */
	TB_C("\x0f\x23\xc0", ULVM_SC_MOV_DR),
	TB_C("\x0f\x01\x15\x00\x10\x00\x00", ULVM_SC_LGDT),
	TB_C("\x0f\x01\x18", ULVM_SC_LIDT),	/* lidtl (%eax) */
	TB_C("\x0f\x00\xd0", ULVM_SC_LLDT),	/* lldt %ax */
	TB_C("\x0f\x00\xd8", ULVM_SC_LTR),
	TB_C("\x0f\x01\x38", ULVM_SC_INVLPG),	/* invlpg (%eax) */
	TB_C("\x0f\x09", ULVM_SC_WBINVD),
	TB_C("\x0f\x08", ULVM_SC_INVD),
	TB_C("\x0f\x06", ULVM_SC_CLTS),
	TB_C("\x0f\x01\xf0", ULVM_SC_LMSW),	/* lmsw %ax */
	TB_C("\x0f\x32", ULVM_SC_RDMSR),
	TB_C("\x0f\x30", ULVM_SC_WRMSR),
	TB_C("\x0f\x33", ULVM_SC_RDPMC),
	TB_C("\xcf", ULVM_SC_IRET),
	TB_C("\x0f\x35", ULVM_SC_SYSEXIT),
	TB_C("\xea\x00\x10\x00\x00\x10\x00", ULVM_SC_FAR_JMP),
	TB_C("\xff\x28", ULVM_SC_FAR_JMP),	/* ljmp *(%eax) */
	TB_C("\x9a\x00\x10\x00\x00\x10\x00", ULVM_SC_FAR_CALL),
	TB_C("\xff\x18", ULVM_SC_FAR_CALL),	/* lcall *(%eax) */
	TB_C("\xcb", ULVM_SC_FAR_RET),
	TB_C("\xca\x04\x00", ULVM_SC_FAR_RET),
	TB_C("\x0f\x01\xc9", ULVM_SC_MWAIT),
	TB_C("\x0f\x01\xc8", ULVM_SC_MWAIT),
	TB_C("\x0f\x01\xd1", ULVM_SC_XSETBV),
	TB_C("\x0f\x01\xc1", ULVM_SC_VMCALL),
	TB_C("\x0f\x01\xd9", ULVM_SC_VMCALL),
	TB_C("\x0f\x01\xcb", ULVM_SC_SMAP),
	TB_C("\x0f\x01\xca", ULVM_SC_SMAP),
	TB_C("\x9c", ULVM_SC_PUSHF),
	TB_C("\x66\x9c", ULVM_SC_PUSHF),
	TB_C("\x9d", ULVM_SC_POPF),
	TB_C("\x0f\x01\x00", ULVM_SC_SGDT),	/* sgdtl (%eax) */
	TB_C("\x0f\x01\x08", ULVM_SC_SIDT),
	TB_C("\x0f\x00\xc0", ULVM_SC_SLDT),
	TB_C("\x0f\x00\xc8", ULVM_SC_STR),
	TB_C("\x0f\x01\xe0", ULVM_SC_SMSW),
	TB_C("\x0f\xa2", ULVM_SC_CPUID),
	TB_C("\x8e\xd8", ULVM_SC_SEG_LOAD),	/* mov %eax,%ds */
	TB_C("\x8e\x10", ULVM_SC_SEG_LOAD),	/* mov (%eax),%ss */
	TB_C("\x1f", ULVM_SC_SEG_LOAD),		/* pop %ds */
	TB_C("\x0f\xa1", ULVM_SC_SEG_LOAD),	/* pop %fs */
	TB_C("\x0f\xb4\x00", ULVM_SC_SEG_LOAD),	/* lfs (%eax),%eax */
	TB_C("\xc5\x00", ULVM_SC_SEG_LOAD),	/* lds (%eax),%eax */
	TB_C("\x8c\xd8", ULVM_SC_SEG_STORE),	/* mov %ds,%eax */
	TB_C("\x0e", ULVM_SC_SEG_STORE),	/* push %cs */
	TB_C("\x0f\xa8", ULVM_SC_SEG_STORE),	/* push %gs */
	TB_C("\x0f\x02\xc0", ULVM_SC_LAR),
	TB_C("\x0f\x03\xc0", ULVM_SC_LSL),
	TB_C("\x0f\x00\xe0", ULVM_SC_VERR),
	TB_C("\x0f\x00\x2d\x00\x10\x00\x00", ULVM_SC_VERW),
	TB_C("\x0f\x31", ULVM_SC_RDTSC),
	TB_C("\x0f\x01\xf9", ULVM_SC_RDTSCP),
	/* not sensitive */
	TB_C("\x89\xe5", ULVM_SC_NONE),
	TB_C("\x90", ULVM_SC_NONE),
	TB_C("\x0f\x01\xd0", ULVM_SC_NONE),	/* xgetbv */
	TB_C("\xc5\xf8\x77", ULVM_SC_NONE),	/* vzeroupper: VEX, not lds */
	TB_C("\x8d\x74\x26\x00", ULVM_SC_NONE),
	TB_C("\xe8\x00\x00\x00\x00", ULVM_SC_NONE),
	TB_C("\xc3", ULVM_SC_NONE),
	TB_C("\x0f\x0b", ULVM_SC_NONE),		/* ud2 */
	TB_C("\xcd\x80", ULVM_SC_NONE),		/* int $0x80 */
};

START_TEST(test_classify_table)
{
	size_t i;

	for (i = 0; i < sizeof(tb_classes) / sizeof(tb_classes[0]); i++) {
		struct rw_iclass ic;

		rw_classify((const uint8_t *)tb_classes[i].bytes, tb_classes[i].len, TB_VA, &ic);
		ck_assert_msg(ic.cls == tb_classes[i].cls, "entry %zu: class %s, want %s", i,
			      rw_class_name(ic.cls), rw_class_name(tb_classes[i].cls));
	}
	for (i = 0; i < ULVM_SC_COUNT; i++)
		ck_assert_str_ne(rw_class_name((unsigned int)i), "?");
	ck_assert_str_eq(rw_class_name(ULVM_SC_COUNT), "?");
}
END_TEST

START_TEST(test_classify_branches)
{
	struct rw_iclass ic;

	rw_classify((const uint8_t *)"\x74\x05", 2, 0x1000, &ic);
	ck_assert_uint_eq(ic.ctl, 1 /* RW_CTL_JCC */);
	ck_assert_uint_eq(ic.target, 0x1007);
	rw_classify((const uint8_t *)"\x0f\x85\xfb\xfd\xff\xff", 6, 0x2000, &ic);
	ck_assert_uint_eq(ic.target, 0x2006 - 0x205);
	rw_classify((const uint8_t *)"\xe8\x10\x00\x00\x00", 5, 0x3000, &ic);
	ck_assert_uint_eq(ic.ctl, 3 /* RW_CTL_CALL */);
	ck_assert_uint_eq(ic.target, 0x3015);
	rw_classify((const uint8_t *)"\x66\xeb\x00", 3, 0x3000, &ic);
	ck_assert_uint_eq(ic.ctl, 6 /* RW_CTL_OTHER: 16-bit jmp */);
	rw_classify((const uint8_t *)"\x3e\x8d\x74\x26\x00", 5, 0, &ic);
	ck_assert(ic.nop);
	rw_classify((const uint8_t *)"\x8d\x74\x26\x00", 4, 0, &ic);
	ck_assert(!ic.nop && ic.pad);
}
END_TEST

/* ---- rewriting ---- */

START_TEST(test_cli_stub)
{
	/* f0: push %ebp; mov %esp,%ebp; cli; mov 8(%ebp),%eax; pop %ebp; ret */
	static const uint8_t text[] = { 0x55, 0x89, 0xe5, 0xfa, 0x8b, 0x45, 0x08, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	const struct ulvm_st_site *s;
	const struct ulvm_st_region *r;
	uint8_t movb[7] = { 0xc6, 0x05 };

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	ck_assert_uint_eq(b.t.h.nsites, 1);
	s = tb_site(&b, 3);
	ck_assert_uint_eq(s->cls, ULVM_SC_CLI);
	ck_assert_uint_eq(s->disp, ULVM_SD_STUB_EMUL);
	r = &b.t.regions[s->region];
	ck_assert_uint_eq(r->kind, ULVM_RK_STUB);
	ck_assert_uint_ge(r->len, 5);
	ck_assert(r->vaddr <= TB_VA + 3 && r->vaddr + r->len > TB_VA + 3);
	ck_assert_uint_eq(tb_at(&b, r->vaddr)[0], 0xe9);
	/* The stub holds movb $0, vif. */
	rw_put_le32(movb + 2, ULVM_VCPU_VADDR_DEFAULT + ULVM_VCPU_OFF_VIF);
	ck_assert(tb_has(tb_stub(&b, r->stub), r->stub_len, movb, 7));
	/* Outside the region, nothing changed. */
	ck_assert_uint_eq(tb_at(&b, TB_VA + 8)[0], 0xc3);
	tb_free(&b);
}
END_TEST

START_TEST(test_site_before_branch_target)
{
	/*
	 * test %eax,%eax; je 1f; sti; 1: lea -0xc(%ebp),%esp; pop %ebx; ret
	 * The sti cannot take the target after it: the region starts two
	 * instructions earlier and the stub re-encodes the je.
	 */
	static const uint8_t text[] = { 0x85, 0xc0, 0x74, 0x01, 0xfb, 0x8d, 0x65, 0xf4, 0x5b, 0xc3 };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	const struct ulvm_st_site *s;
	const struct ulvm_st_region *r;
	const uint8_t *stub;
	uint8_t jcc[6] = { 0x0f, 0x84 };
	size_t i;
	int found = 0;

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	s = tb_site(&b, 4);
	ck_assert_uint_eq(s->disp, ULVM_SD_STUB_EMUL);
	r = &b.t.regions[s->region];
	ck_assert_uint_eq(r->vaddr, TB_VA);
	ck_assert_uint_eq(r->len, 5);
	/* The je became je rel32 to the same absolute target (TB_VA + 5). */
	stub = tb_stub(&b, r->stub);
	for (i = 0; i + 6 <= r->stub_len; i++) {
		uint32_t tgt = r->stub + (uint32_t)i + 6 + rw_le32(stub + i + 2);

		if (!memcmp(stub + i, jcc, 2) && tgt == TB_VA + 5)
			found = 1;
	}
	ck_assert(found);
	/* The target instruction is untouched. */
	ck_assert_uint_eq(tb_at(&b, TB_VA + 5)[0], 0x8d);
	tb_free(&b);
}
END_TEST

START_TEST(test_site_at_branch_target_traps)
{
	/*
	 * 0: test %eax,%eax; 2: jne 7; 4: jmp 6; 6: sti; 7: pop %ebp; 8: ret
	 * sti is a branch target and so is what follows it: int3.
	 */
	static const uint8_t text[] = { 0x85, 0xc0, 0x75, 0x03, 0xeb, 0x00, 0xfb, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	const struct ulvm_st_site *s;

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	s = tb_site(&b, 6);
	ck_assert_uint_eq(s->disp, ULVM_SD_TRAP);
	ck_assert_uint_eq(b.t.regions[s->region].kind, ULVM_RK_TRAP_INT3);
	ck_assert_uint_eq(tb_at(&b, TB_VA + 6)[0], 0xcc);
	ck_assert_uint_eq(s->insn[0], 0xfb);
	ck_assert_uint_eq(tb_at(&b, TB_VA + 7)[0], 0x5d);
	tb_free(&b);
}
END_TEST

START_TEST(test_site_at_function_end)
{
	/* f0: sti; ret; int3 x 6; f1 (at 8): push %ebp; ... ret */
	static const uint8_t text[] = { 0xfb, 0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
					0x55, 0x89, 0xe5, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0, 8 };
	static struct tb b;
	const struct ulvm_st_site *s;
	const struct ulvm_st_region *r;
	const uint8_t *stub;

	tb_build(&b, text, sizeof(text), funcs, 2, NULL, 0);
	tb_rewrite(&b, NULL);
	s = tb_site(&b, 0);
	ck_assert_uint_eq(s->disp, ULVM_SD_STUB_EMUL);
	r = &b.t.regions[s->region];
	/* sti + ret + three int3 of dead padding */
	ck_assert_uint_eq(r->kind, ULVM_RK_STUB);
	ck_assert_uint_eq(r->len, 5);
	stub = tb_stub(&b, r->stub);
	/* The stub ends with the ret: no jump back. */
	ck_assert_uint_eq(stub[r->stub_len - 1], 0xc3);
	/* The next function is untouched. */
	ck_assert(!memcmp(tb_at(&b, TB_VA + 8), text + 8, 5));
	tb_free(&b);
}
END_TEST

START_TEST(test_short_function_via_slot)
{
	/*
	 * f0 (0): ret; int3 x 7              (a slot after the ret)
	 * f1 (8): cli; ret                   (2 bytes, next function right after)
	 * f2 (10): push %ebp; pop %ebp; ret
	 */
	static const uint8_t text[] = { 0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
					0xfa, 0xc3, 0x55, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0, 8, 10 };
	static struct tb b;
	const struct ulvm_st_site *s;
	const struct ulvm_st_region *r;
	const uint8_t *p;

	tb_build(&b, text, sizeof(text), funcs, 3, NULL, 0);
	tb_rewrite(&b, NULL);
	s = tb_site(&b, 8);
	ck_assert_uint_eq(s->disp, ULVM_SD_STUB_EMUL);
	r = &b.t.regions[s->region];
	ck_assert_uint_eq(r->kind, ULVM_RK_STUB_SHORT);
	ck_assert_uint_eq(r->len, 2);
	p = tb_at(&b, TB_VA + 8);
	ck_assert_uint_eq(p[0], 0xeb);
	ck_assert_uint_eq(TB_VA + 10 + (uint32_t)(int32_t)(int8_t)p[1], r->via);
	ck_assert(r->via >= TB_VA + 1 && r->via + 5 <= TB_VA + 8);
	p = tb_at(&b, r->via);
	ck_assert_uint_eq(p[0], 0xe9);
	ck_assert_uint_eq(r->via + 5 + rw_le32(p + 1), r->stub);
	tb_free(&b);
}
END_TEST

START_TEST(test_short_function_traps_without_slot)
{
	/* f0: cli; ret  f1 (2): push %ebp; pop %ebp; ret  (no padding anywhere) */
	static const uint8_t text[] = { 0xfa, 0xc3, 0x55, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0, 2 };
	static struct tb b;
	const struct ulvm_st_site *s;

	tb_build(&b, text, sizeof(text), funcs, 2, NULL, 0);
	tb_rewrite(&b, NULL);
	s = tb_site(&b, 0);
	ck_assert_uint_eq(s->disp, ULVM_SD_TRAP);
	ck_assert_uint_eq(tb_at(&b, TB_VA)[0], 0xcc);
	ck_assert_uint_eq(tb_at(&b, TB_VA + 1)[0], 0xc3);
	tb_free(&b);
}
END_TEST

START_TEST(test_site_in_data)
{
	/*
	 * f0 (0): cli; then a byte 0xe8 that would start a 5-byte call
	 * across f1 (2): decoding is out of step, the cli is data.
	 */
	static const uint8_t text[] = { 0xfa, 0xe8, 0x55, 0x89, 0xe5, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0, 2 };
	static struct tb b;
	const struct ulvm_st_site *s;

	tb_build(&b, text, sizeof(text), funcs, 2, NULL, 0);
	tb_rewrite(&b, NULL);
	ck_assert_uint_eq(b.out.stats.ndesync, 1);
	s = tb_site(&b, 0);
	ck_assert_uint_eq(s->disp, ULVM_SD_DATA);
	ck_assert_uint_eq(s->region, ULVM_ST_NO_REGION);
	ck_assert_uint_eq(tb_at(&b, TB_VA)[0], 0xfa);
	tb_free(&b);
}
END_TEST

START_TEST(test_system_map)
{
	/* As test_site_in_data, but the second function start comes from a System.map. */
	static const uint8_t text[] = { 0xfa, 0xe8, 0x55, 0x89, 0xe5, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0 };
	static const char map[] = "ffffffffffffffff B The real System.map is elsewhere\n"
				  "10000002 T f1\n"
				  "garbage line\n"
				  "10000004 D not_code\n";
	struct rw_opts o = { .sysmap = map, .sysmap_len = sizeof(map) - 1 };
	static struct tb b;

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, &o);
	ck_assert_uint_eq(b.out.stats.nfuncs_map, 1);
	ck_assert_uint_eq(tb_site(&b, 0)->disp, ULVM_SD_DATA);
	tb_free(&b);
	/* Without it, decoding never learns of f1 and the cli is code. */
	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	ck_assert_uint_ne(tb_site(&b, 0)->disp, ULVM_SD_DATA);
	tb_free(&b);
}
END_TEST

START_TEST(test_irq_save_cluster)
{
	/*
	 * f0: pushf; pop %ebx; cli; mov %eax,%ecx; mov %edx,%esi; push %ebx; popf; ret
	 * Both clusters become stubs: pushf/pop/cli+movs, and push/popf/ret.
	 */
	static const uint8_t text[] = { 0x9c, 0x5b, 0xfa, 0x89, 0xc1, 0x89, 0xd6,
					0x53, 0x9d, 0xc3, 0xcc, 0xcc, 0xcc, 0xcc };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	size_t i;

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	ck_assert_uint_eq(b.t.h.nsites, 3); /* pushf, cli, popf */
	for (i = 0; i < b.t.h.nsites; i++)
		ck_assert_msg(b.t.sites[i].disp == ULVM_SD_STUB_EMUL, "site %zu: %s", i,
			      rw_disp_name(b.t.sites[i].disp));
	ck_assert_uint_eq(b.out.stats.hot_found, 3);
	ck_assert_uint_eq(b.out.stats.hot_stub, 3);
	tb_free(&b);
}
END_TEST

START_TEST(test_monitor_call_stub)
{
	/* f0: push %ebp; mov %esp,%ebp; cpuid; pop %ebp; ret */
	static const uint8_t text[] = { 0x55, 0x89, 0xe5, 0x0f, 0xa2, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	const struct ulvm_st_site *s;
	const struct ulvm_st_region *r;
	const uint8_t *stub, *call;

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	s = tb_site(&b, 3);
	ck_assert_uint_eq(s->disp, ULVM_SD_STUB_CALL);
	r = &b.t.regions[s->region];
	stub = tb_stub(&b, r->stub);
	ck_assert(s->call_ret > r->stub && s->call_ret < r->stub + r->stub_len);
	/* pushl $id; lcall *%ss:vcpu.call before the return address; leal 4(%esp),%esp at it. */
	call = stub + (s->call_ret - r->stub) - 12;
	ck_assert_uint_eq(call[0], 0x68);
	ck_assert_uint_eq(rw_le32(call + 1), s->id);
	ck_assert(!memcmp(call + 5, "\x36\xff\x1d", 3));
	ck_assert_uint_eq(rw_le32(call + 8), ULVM_VCPU_VADDR_DEFAULT + ULVM_VCPU_OFF_CALL);
	ck_assert(!memcmp(call + 12, "\x8d\x64\x24\x04", 4));
	tb_free(&b);
}
END_TEST

START_TEST(test_iret_noreturn)
{
	/* f0: pushf; push %cs; push $imm; iret; int3 x 4 */
	static const uint8_t text[] = { 0x9c, 0x0e, 0x68, 0x00, 0x00, 0x00, 0x00,
					0xcf, 0xcc, 0xcc, 0xcc, 0xcc };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	const struct ulvm_st_site *s;
	const struct ulvm_st_region *r;
	const uint8_t *stub;

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	s = tb_site(&b, 7);
	ck_assert_uint_eq(s->cls, ULVM_SC_IRET);
	ck_assert_uint_eq(s->disp, ULVM_SD_STUB_CALL);
	ck_assert(s->flags & ULVM_SITE_F_NORETURN);
	r = &b.t.regions[s->region];
	stub = tb_stub(&b, r->stub);
	/* A ud2 guards the call that never returns. */
	ck_assert(!memcmp(stub + r->stub_len - 2, "\x0f\x0b", 2));
	tb_free(&b);
}
END_TEST

START_TEST(test_call_moved)
{
	/*
	 * f0 (0): ret; int3 x 15
	 * f1 (16): call f0; sti; call f0; pop %ebp; ret
	 * The sti sits between two calls: the second call moves into the stub
	 * with its target kept; with no_move_calls it is a trap.
	 */
	static const uint8_t text[] = { 0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
					0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
					0xe8, 0xeb, 0xff, 0xff, 0xff, 0xfb, 0xe8, 0xe5,
					0xff, 0xff, 0xff, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0, 16 };
	struct rw_opts o = { .no_move_calls = 1 };
	static struct tb b;
	const struct ulvm_st_site *s;
	const struct ulvm_st_region *r;
	const uint8_t *stub;
	size_t i;
	int found = 0;

	tb_build(&b, text, sizeof(text), funcs, 2, NULL, 0);
	tb_rewrite(&b, NULL);
	s = tb_site(&b, 21);
	ck_assert_uint_eq(s->disp, ULVM_SD_STUB_EMUL);
	r = &b.t.regions[s->region];
	ck_assert_uint_eq(r->vaddr, TB_VA + 21);
	stub = tb_stub(&b, r->stub);
	for (i = 0; i + 5 <= r->stub_len; i++)
		if (stub[i] == 0xe8 && r->stub + (uint32_t)i + 5 + rw_le32(stub + i + 1) == TB_VA)
			found = 1;
	ck_assert(found);
	tb_free(&b);
	tb_build(&b, text, sizeof(text), funcs, 2, NULL, 0);
	tb_rewrite(&b, &o);
	ck_assert_uint_eq(tb_site(&b, 21)->disp, ULVM_SD_TRAP);
	tb_free(&b);
}
END_TEST

START_TEST(test_unknown_to_capstone)
{
	/*
	 * f0: serialize (0f 01 e8, unknown to capstone 4); pushf; push %cs;
	 * push $imm; iret; int3 x 4 -- as in the kernel's sync_core().
	 * The sweep keeps step through it and the sites stay code.
	 */
	static const uint8_t text[] = { 0x0f, 0x01, 0xe8, 0x9c, 0x0e, 0x68, 0x00, 0x00, 0x00,
					0x00, 0xcf, 0xcc, 0xcc, 0xcc, 0xcc };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;

	ck_assert_uint_eq(rw_classify_extra_len(text, 3), 3);
	ck_assert_uint_eq(rw_classify_extra_len(text, 2), 0);
	ck_assert_uint_eq(rw_classify_extra_len((const uint8_t *)"\x66\x0f\xae\xf1", 4), 4);
	ck_assert_uint_eq(rw_classify_extra_len((const uint8_t *)"\x0f\xae\xf0", 3), 0);
	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	ck_assert_uint_eq(b.out.stats.ninvalid, 0);
	ck_assert_uint_eq(b.out.stats.nextra, 1);
	ck_assert_uint_eq(tb_site(&b, 3)->disp, ULVM_SD_STUB_EMUL);
	ck_assert_uint_eq(tb_site(&b, 10)->disp, ULVM_SD_STUB_CALL);
	ck_assert(!memcmp(tb_at(&b, TB_VA), text, 3));
	tb_free(&b);
}
END_TEST

START_TEST(test_rdtsc_policy)
{
	/* f0: push %ebp; mov %esp,%ebp; rdtsc; pop %ebp; ret */
	static const uint8_t text[] = { 0x55, 0x89, 0xe5, 0x0f, 0x31, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	struct rw_opts o = { .rewrite_rdtsc = 1 };

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	ck_assert_uint_eq(tb_site(&b, 3)->disp, ULVM_SD_NATIVE);
	ck_assert(!memcmp(tb_at(&b, TB_VA), text, sizeof(text)));
	tb_free(&b);
	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, &o);
	ck_assert_uint_eq(tb_site(&b, 3)->disp, ULVM_SD_STUB_CALL);
	tb_free(&b);
}
END_TEST

START_TEST(test_traps_only)
{
	static const uint8_t text[] = { 0x55, 0x89, 0xe5, 0xfa, 0x8b, 0x45, 0x08, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	struct rw_opts o = { .traps_only = 1 };

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, &o);
	ck_assert_uint_eq(tb_site(&b, 3)->disp, ULVM_SD_TRAP);
	ck_assert_uint_eq(b.t.h.patch_size, 0);
	tb_free(&b);
}
END_TEST

START_TEST(test_alternative_made_inert)
{
	/*
	 * .text: f0: nop x 3 (alternative original); push %ebp; mov %esp,%ebp; pop %ebp; ret
	 * .altinstr_replacement: stac (0f 01 cb)
	 * .altinstructions: one entry {instr - here, repl - here+4, cpuid, 3, 3}
	 */
	static const uint8_t text[] = { 0x90, 0x90, 0x90, 0x55, 0x89, 0xe5, 0x5d, 0xc3 };
	static const uint8_t repl[] = { 0x0f, 0x01, 0xcb };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	uint8_t alt[12];
	struct tb_sec sec[2] = {
		{ ".altinstr_replacement", TB_VA + 0x100, repl, 3, 6 },
		{ ".altinstructions", TB_VA + 0x200, alt, 12, 2 },
	};
	const struct ulvm_st_site *s;

	tb_put32(alt, TB_VA - (TB_VA + 0x200));
	tb_put32(alt + 4, (TB_VA + 0x100) - (TB_VA + 0x204));
	tb_put16(alt + 8, 9 * 32 + 20); /* X86_FEATURE_SMAP */
	alt[10] = 3;
	alt[11] = 3;
	tb_build(&b, text, sizeof(text), funcs, 1, sec, 2);
	tb_rewrite(&b, NULL);
	s = tb_site(&b, 0x100);
	ck_assert_uint_eq(s->cls, ULVM_SC_SMAP);
	ck_assert_uint_eq(s->disp, ULVM_SD_INERT_ALT);
	ck_assert_uint_eq(b.t.h.ntabpatches, 1);
	ck_assert_uint_eq(b.t.tabpatches[0].vaddr, TB_VA + 0x200 + 10);
	ck_assert_uint_eq(tb_at(&b, TB_VA + 0x200 + 10)[0], 0);
	ck_assert_uint_eq(tb_at(&b, TB_VA + 0x200 + 11)[0], 0);
	ck_assert_uint_eq(b.out.stats.nalts_inert, 1);
	tb_free(&b);
}
END_TEST

/* ---- stubs ---- */

START_TEST(test_stub_sequences)
{
	static const uint8_t pushf = 0x9c, popf = 0x9d, sti = 0xfb;
	uint8_t out[RW_STUB_MAX];
	struct rw_stub_insn in;
	uint32_t vif = 0x2000 + ULVM_VCPU_OFF_VIF;
	int len;

	/* pushf: pushfl; pushfl; testb $1,%ss:vif; jnz +8; andl $~IF,4(%esp); popfl; jmp back */
	memset(&in, 0, sizeof(in));
	in.b = &pushf;
	in.len = 1;
	in.site = 1;
	len = rw_stub_emit(&in, 1, 0x1001, 0x5000, 0x2000, out, sizeof(out));
	ck_assert_int_eq(len, 2 + 8 + 2 + 8 + 1 + 5);
	ck_assert(!memcmp(out, "\x9c\x9c\x36\xf6\x05", 5));
	ck_assert_uint_eq(rw_le32(out + 5), vif);
	ck_assert(!memcmp(out + 9, "\x01\x75\x08\x81\x64\x24\x04\xff\xfd\xff\xff\x9d\xe9", 13));
	ck_assert_uint_eq(0x5000 + (uint32_t)len + rw_le32(out + len - 4), 0x1001);
	ck_assert(in.emul && !in.call_ret);

	/* popf: a monitor call only on the enabling path, flags restored by popfl everywhere. */
	in.b = &popf;
	len = rw_stub_emit(&in, 1, 0x1001, 0x5000, 0x2000, out, sizeof(out));
	ck_assert_int_gt(len, 0);
	ck_assert(!memcmp(out, "\xf7\x04\x24\x00\x02\x00\x00\x74", 8));
	ck_assert(in.emul && in.call_ret);

	/* sti: vif = 1, then a monitor call if pending, inside a pushfl/popfl pair. */
	in.b = &sti;
	len = rw_stub_emit(&in, 1, 0x1001, 0x5000, 0x2000, out, sizeof(out));
	ck_assert_int_gt(len, 0);
	ck_assert(!memcmp(out, "\x36\xc6\x05", 3));
	ck_assert_uint_eq(out[7], 1);
	ck_assert_uint_eq(out[8], 0x9c);
	ck_assert_uint_eq(out[len - 6], 0x9d);

	/* sti; hlt: no pending check after sti, the hlt's monitor call delivers. */
	{
		static const uint8_t hlt = 0xf4;
		struct rw_stub_insn two[2];

		memset(two, 0, sizeof(two));
		two[0].b = &sti;
		two[0].len = 1;
		two[0].site = 1;
		two[1].b = &hlt;
		two[1].len = 1;
		two[1].site = 1;
		two[1].id = 7;
		len = rw_stub_emit(two, 2, 0x1002, 0x5000, 0x2000, out, sizeof(out));
		ck_assert_int_eq(len, 8 + 16 + 5);
		ck_assert_uint_eq(out[8], 0x68);
		ck_assert_uint_eq(rw_le32(out + 9), 7);
		ck_assert(!two[0].call_ret && two[1].call_ret == 0x5000 + 8 + 12);
	}

	/* Too small a buffer fails cleanly. */
	ck_assert_int_eq(rw_stub_emit(&in, 1, 0x1001, 0x5000, 0x2000, out, 8), -1);
}
END_TEST


/* ---- running the stubs ---- */

#define EX_ARITH 0x8d5u /* CF PF AF ZF SF OF */

START_TEST(test_stub_exec)
{
	static const uint8_t text[] = {
		/* f0 (0): pushf; pop %ebx; cli; pushf; pop %eax; mov %eax,%ecx; push %ebx; popf; ret */
		0x9c, 0x5b, 0xfa, 0x9c, 0x58, 0x89, 0xc1, 0x53, 0x9d, 0xc3,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		/* f1 (16): cli; mov %esi,%esi; mov %edi,%edi; sti; mov %ebp,%ebp; mov %edx,%edx; ret */
		0xfa, 0x89, 0xf6, 0x89, 0xff, 0xfb, 0x89, 0xed, 0x89, 0xd2, 0xc3,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		/* f2 (32): push %ebp; mov %esp,%ebp; cpuid; pop %ebp; ret */
		0x55, 0x89, 0xe5, 0x0f, 0xa2, 0x5d, 0xc3,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		/* f3 (48): mov %eax,%ecx; push %eax; popf; mov %ecx,%ecx; ret */
		0x89, 0xc1, 0x50, 0x9d, 0x89, 0xc9, 0xc3,
		0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
		/* f4 (64): push %ebp; call f5; sti; call f5; pop %ebp; ret (the call moves) */
		0x55, 0xe8, 0x0a, 0x00, 0x00, 0x00, 0xfb, 0xe8, 0x04, 0x00, 0x00, 0x00, 0x5d, 0xc3,
		0xcc, 0xcc,
		/* f5 (80): add $0x10,%eax; ret */
		0x83, 0xc0, 0x10, 0xc3,
	};
	static const uint32_t funcs[] = { 0, 16, 32, 48, 64, 80 };
	struct rw_opts o = { .patch_vaddr = EX_PATCH, .vcpu_vaddr = EX_VCPU };
	struct ex_regs in = { 0x11111111, 0x22222222, 0x33333333, 0x44444444,
			      0x55555555, 0x66666666, 0x77777777, 0, 0x2 | EX_ARITH };
	struct ex_regs out;
	struct ex_monitor mon;
	struct ulvm_vcpu_page *v;
	static struct tb b;
	size_t i, poff;
	int ret;

	tb_build(&b, text, sizeof(text), funcs, 6, NULL, 0);
	tb_rewrite(&b, &o);
	for (i = 0; i < b.t.h.nsites; i++)
		ck_assert_msg(b.t.sites[i].disp == ULVM_SD_STUB_EMUL ||
			      b.t.sites[i].disp == ULVM_SD_STUB_CALL,
			      "site %zu at %#x is %s", i, b.t.sites[i].vaddr,
			      rw_disp_name(b.t.sites[i].disp));
	poff = (b.len + 4095) & ~(size_t)4095;
	ret = ex_setup(b.out.image + 0x1000, sizeof(text), b.out.image + poff, b.t.h.patch_size);
	if (ret) {
		fprintf(stderr, "test_stub_exec: cannot map the fixed low pages (%d): not run\n", ret);
		tb_free(&b);
		return;
	}
	v = ex_vcpu();

	/* f0, interrupts enabled: pushf sees IF, cli clears it, popf restores it and the flags. */
	v->vif = 1;
	v->pending = 0;
	ck_assert_int_eq(ex_call(EX_TEXT, &in, &out, &mon), 0);
	ck_assert_uint_eq(out.ebx & (EX_ARITH | 0x200), EX_ARITH | 0x200);
	ck_assert_uint_eq(out.eax & (EX_ARITH | 0x200), EX_ARITH);
	ck_assert_uint_eq(out.ecx, out.eax);
	ck_assert_uint_eq(out.eflags & EX_ARITH, EX_ARITH);
	ck_assert_uint_eq(v->vif, 1);
	ck_assert_uint_eq(out.edx, in.edx);
	ck_assert_uint_eq(out.esi, in.esi);
	ck_assert_uint_eq(out.edi, in.edi);
	ck_assert_uint_eq(out.ebp, in.ebp);
	ck_assert_uint_eq(out.esp, EX_HARN + 0xf000);
	ck_assert_uint_eq(mon.calls, 0);

	/* f0 with every arithmetic flag clear, interrupts disabled on entry. */
	in.eflags = 0x2;
	v->vif = 0;
	ck_assert_int_eq(ex_call(EX_TEXT, &in, &out, &mon), 0);
	ck_assert_uint_eq(out.ebx & (EX_ARITH | 0x200), 0);
	ck_assert_uint_eq(out.eflags & EX_ARITH, 0);
	ck_assert_uint_eq(v->vif, 0);

	/* f1: cli/sti keep every register and flag; sti with a pending interrupt calls the monitor. */
	in.eflags = 0x2 | EX_ARITH;
	v->vif = 1;
	v->pending = 1;
	ck_assert_int_eq(ex_call(EX_TEXT + 16, &in, &out, &mon), 0);
	ck_assert_uint_eq(out.eflags & EX_ARITH, EX_ARITH);
	ck_assert_uint_eq(out.eax, in.eax);
	ck_assert_uint_eq(out.ebx, in.ebx);
	ck_assert_uint_eq(out.ecx, in.ecx);
	ck_assert_uint_eq(out.edx, in.edx);
	ck_assert_uint_eq(out.esi, in.esi);
	ck_assert_uint_eq(out.edi, in.edi);
	ck_assert_uint_eq(out.ebp, in.ebp);
	ck_assert_uint_eq(out.esp, EX_HARN + 0xf000);
	ck_assert_uint_eq(v->vif, 1);
	ck_assert_uint_eq(mon.calls, 1);
	ck_assert_uint_eq(mon.last_id, tb_site(&b, 21)->id);
	ck_assert_uint_eq(v->pending, 0);
	/* ... and without one it does not. */
	ck_assert_int_eq(ex_call(EX_TEXT + 16, &in, &out, &mon), 0);
	ck_assert_uint_eq(mon.calls, 0);

	/* f2: cpuid goes to the monitor with its site id; the stack is balanced. */
	ck_assert_int_eq(ex_call(EX_TEXT + 32, &in, &out, &mon), 0);
	ck_assert_uint_eq(mon.calls, 1);
	ck_assert_uint_eq(mon.last_id, tb_site(&b, 35)->id);
	ck_assert_uint_eq(out.esp, EX_HARN + 0xf000);
	ck_assert_uint_eq(out.ebx, in.ebx);
	ck_assert_uint_eq(out.eflags & EX_ARITH, EX_ARITH);

	/* f3: popf enabling interrupts with one pending calls the monitor and loads the flags. */
	in.eax = 0x2 | 0x200 | 0x41; /* IF, ZF, CF */
	in.eflags = 0x2;
	v->vif = 0;
	v->pending = 1;
	ck_assert_int_eq(ex_call(EX_TEXT + 48, &in, &out, &mon), 0);
	ck_assert_uint_eq(v->vif, 1);
	ck_assert_uint_eq(mon.calls, 1);
	ck_assert_uint_eq(out.eflags & EX_ARITH, 0x41);
	ck_assert_uint_eq(out.ecx, in.eax);
	/* popf of a value without IF disables them, no call. */
	in.eax = 0x2 | 0x80; /* SF */
	v->pending = 1;
	ck_assert_int_eq(ex_call(EX_TEXT + 48, &in, &out, &mon), 0);
	ck_assert_uint_eq(v->vif, 0);
	ck_assert_uint_eq(mon.calls, 0);
	ck_assert_uint_eq(out.eflags & EX_ARITH, 0x80);

	/* f4: a call moved into the stub returns into it and the stub returns home. */
	in.eax = 0x100;
	in.eflags = 0x2;
	v->vif = 0;
	v->pending = 0;
	ck_assert_int_eq(ex_call(EX_TEXT + 64, &in, &out, &mon), 0);
	ck_assert_uint_eq(b.t.regions[tb_site(&b, 70)->region].vaddr, EX_TEXT + 70);
	ck_assert_uint_eq(out.eax, 0x120);
	ck_assert_uint_eq(v->vif, 1);
	ck_assert_uint_eq(out.esp, EX_HARN + 0xf000);
	ck_assert_uint_eq(out.ebp, in.ebp);

	ex_teardown();
	tb_free(&b);
}
END_TEST

/* ---- input handling ---- */

static void tb_expect_err_at(const uint8_t *buf, size_t len, int code, int line)
{
	struct rw_err err = { 0, "" };
	struct rw_image img;
	struct rw_out out;
	int ret;

	ret = rw_image_load(&img, buf, len, &err);
	if (!ret) {
		ret = rw_rewrite(img.elf, img.len, NULL, &out, &err);
		rw_image_free(&img);
		if (!ret)
			rw_out_free(&out);
	}
	ck_assert_msg(ret == code, "line %d: got %d (%s), want %d", line, ret, err.msg, code);
	ck_assert(err.msg[0]);
}

#define tb_expect_err(b, l, c) tb_expect_err_at(b, l, c, __LINE__)

START_TEST(test_bad_input)
{
	static const uint8_t text[] = { 0x55, 0x89, 0xe5, 0xfa, 0x8b, 0x45, 0x08, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	static uint8_t bz[TB_MAX], bad[TB_MAX];
	struct rw_err err = { 0, "" };
	struct rw_image img;
	size_t bzlen;

	tb_expect_err((const uint8_t *)"hello, world", 12, -ENOEXEC);
	tb_expect_err((const uint8_t *)"\177ELF\1\1\1", 7, -EBADMSG);
	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	/* truncated: the section headers are at the end */
	tb_expect_err(b.elf, b.len - 10, -EBADMSG);
	/* 64-bit ELF */
	memcpy(bad, b.elf, b.len);
	bad[4] = 2;
	tb_expect_err(bad, b.len, -ENOEXEC);
	/* wrong machine */
	memcpy(bad, b.elf, b.len);
	bad[18] = 40; /* EM_ARM */
	tb_expect_err(bad, b.len, -ENOEXEC);
	/* not an executable */
	memcpy(bad, b.elf, b.len);
	bad[16] = 1; /* ET_REL */
	tb_expect_err(bad, b.len, -ENOEXEC);
	/* a segment pointing past the end */
	memcpy(bad, b.elf, b.len);
	tb_put32(bad + 68, 0x7fffffff);
	tb_put32(bad + 72, 0x7fffffff);
	tb_expect_err(bad, b.len, -EBADMSG);

	/* the section-name table as a NULL section pointing far outside (fuzzer find) */
	memcpy(bad, b.elf, b.len);
	{
		uint32_t shoff = rw_le32(bad + 32);
		uint16_t shstrndx = (uint16_t)(bad[50] | bad[51] << 8);
		uint8_t *h = bad + shoff + 40 * shstrndx;
		struct rw_out out;

		tb_put32(h + 4, 0);
		tb_put32(h + 16, 0x7ffffff0);
		tb_put32(h + 20, 0x10000);
		if (!rw_rewrite(bad, b.len, NULL, &out, &err))
			rw_out_free(&out);
	}

	/* an image whose code sits where the patch area or vCPU page goes (fuzzer find) */
	{
		struct rw_opts o = { .vcpu_vaddr = TB_VA };
		struct rw_out out;

		ck_assert_int_eq(rw_rewrite(b.elf, b.len, &o, &out, &err), -ENOSPC);
		ck_assert(strstr(err.msg, "overlaps") != NULL);
	}

	/* bzImage: good, corrupt, truncated, other compression */
	bzlen = tb_bzimage(b.elf, b.len, bz, sizeof(bz));
	ck_assert_int_eq(rw_image_load(&img, bz, bzlen, &err), 0);
	ck_assert(img.bzimage);
	ck_assert_uint_eq(img.len, b.len);
	ck_assert(!memcmp(img.elf, b.elf, b.len));
	rw_image_free(&img);
	memcpy(bad, bz, bzlen);
	bad[1024 + 0x100 + (bzlen - 1024 - 0x100) / 2] ^= 0x55; /* inside the XZ data */
	tb_expect_err(bad, bzlen, -EBADMSG);
	tb_expect_err(bz, bzlen - 40, -EBADMSG);
	tb_expect_err(bz, 0x220, -EBADMSG);
	memcpy(bad, bz, bzlen);
	memcpy(bad + 1024 + 0x100, "\x1f\x8b\x08\x00\x00\x00", 6);
	tb_expect_err(bad, bzlen, -ENOTSUP);
}
END_TEST

START_TEST(test_check_detects_tampering)
{
	static const uint8_t text[] = { 0x55, 0x89, 0xe5, 0xfa, 0x8b, 0x45, 0x08, 0x5d, 0xc3,
					0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	struct rw_stats st;
	struct rw_err err = { 0, "" };
	uint8_t *img;

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	img = malloc(b.out.image_len);
	ck_assert_ptr_nonnull(img);
	/* a byte of a stub */
	memcpy(img, b.out.image, b.out.image_len);
	img[(b.len + 4095) & ~(size_t)4095] ^= 1;
	ck_assert_int_eq(rw_check(img, b.out.image_len, NULL, 0, &st, &err), -EBADMSG);
	/* a cli put back into the padding: unaccounted */
	memcpy(img, b.out.image, b.out.image_len);
	img[0x1000 + 10] = 0xfa;
	ck_assert_int_eq(rw_check(img, b.out.image_len, NULL, 0, &st, &err), -EBADMSG);
	ck_assert_uint_eq(st.unaccounted, 1);
	/* a byte changed outside every site, seen against the original */
	memcpy(img, b.out.image, b.out.image_len);
	img[0x1000 + 12] = 0x90;
	ck_assert_int_eq(rw_check(img, b.out.image_len, NULL, 0, &st, &err), 0);
	ck_assert_int_eq(rw_check(img, b.out.image_len, b.elf, b.len, &st, &err), -EBADMSG);
	/* the site table's version */
	memcpy(img, b.out.image, b.out.image_len);
	ck_assert_int_eq(rw_check(img, b.out.image_len - b.out.sitetab_len, NULL, 0, &st, &err) < 0,
			 1);
	free(img);
	tb_free(&b);
}
END_TEST

START_TEST(test_sitetab_parse_rejects)
{
	static const uint8_t text[] = { 0x55, 0x89, 0xe5, 0xfa, 0x8b, 0x45, 0x08, 0x5d, 0xc3 };
	static const uint32_t funcs[] = { 0 };
	static struct tb b;
	struct rw_sitetab t;
	struct rw_err err = { 0, "" };
	uint8_t *copy;
	size_t cut;

	tb_build(&b, text, sizeof(text), funcs, 1, NULL, 0);
	tb_rewrite(&b, NULL);
	copy = malloc(b.out.sitetab_len);
	ck_assert_ptr_nonnull(copy);
	for (cut = 0; cut < b.out.sitetab_len; cut++) {
		ck_assert_int_ne(rw_sitetab_parse(&t, b.out.sitetab, cut, &err), 0);
	}
	memcpy(copy, b.out.sitetab, b.out.sitetab_len);
	copy[8] = 99; /* version */
	ck_assert_int_eq(rw_sitetab_parse(&t, copy, b.out.sitetab_len, &err), -EBADMSG);
	memcpy(copy, b.out.sitetab, b.out.sitetab_len);
	tb_put32(copy + 20, 0x40000000); /* nsites... no: nregions huge */
	ck_assert_int_eq(rw_sitetab_parse(&t, copy, b.out.sitetab_len, &err), -EBADMSG);
	free(copy);
	tb_free(&b);
}
END_TEST


/* ---- fuzzing, deterministic ---- */

static uint32_t tb_rand_state = 12345;

static uint32_t tb_rand(void)
{
	tb_rand_state ^= tb_rand_state << 13;
	tb_rand_state ^= tb_rand_state >> 17;
	tb_rand_state ^= tb_rand_state << 5;
	return tb_rand_state;
}

START_TEST(test_fuzz_mutations)
{
	static const uint8_t text[] = { 0x55, 0x89, 0xe5, 0x9c, 0x5b, 0xfa, 0x8b, 0x45, 0x08,
					0x53, 0x9d, 0x5d, 0xc3, 0xcc, 0xcc, 0xcc, 0x0f, 0xa2,
					0xfb, 0xf4, 0xc3, 0xcc, 0xcc, 0xcc };
	static const uint32_t funcs[] = { 0, 16 };
	static struct tb b;
	static uint8_t seed[2][TB_MAX], buf[TB_MAX];
	size_t seedlen[2], iter, accepted = 0;

	tb_build(&b, text, sizeof(text), funcs, 2, NULL, 0);
	memcpy(seed[0], b.elf, b.len);
	seedlen[0] = b.len;
	seedlen[1] = tb_bzimage(b.elf, b.len, seed[1], TB_MAX);
	ck_assert_int_eq(rw_fuzz_one(seed[0], seedlen[0]), 0);
	ck_assert_int_eq(rw_fuzz_one(seed[1], seedlen[1]), 0);
	for (iter = 0; iter < 1500; iter++) {
		int which = (int)(tb_rand() & 1);
		size_t len = seedlen[which], n, k;

		memcpy(buf, seed[which], len);
		n = 1 + tb_rand() % 8;
		for (k = 0; k < n; k++) {
			uint32_t r = tb_rand();
			size_t pos;

			/* Half of the mutations hit the headers, where parsing decides. */
			pos = (r & 1) ? tb_rand() % 0x300 : tb_rand() % len;
			if (pos >= len)
				pos = len - 1;
			switch ((r >> 1) % 5) {
			case 0: buf[pos] ^= (uint8_t)(1u << (tb_rand() % 8)); break;
			case 1: buf[pos] = (uint8_t)tb_rand(); break;
			case 2: buf[pos] = 0xff; break;
			case 3: if (pos + 4 <= len) rw_put_le32(buf + pos, tb_rand()); break;
			case 4: len = pos + 1; break;
			}
		}
		if (!rw_fuzz_one(buf, len))
			accepted++;
	}
	/* Some mutants are still kernels; most are refused; none crashed. */
	ck_assert_uint_gt(accepted, 0);
}
END_TEST

Suite *rewriter_suite(void);

Suite *rewriter_suite(void)
{
	Suite *s = suite_create("rewriter");
	TCase *tc = tcase_create("rewriter");

	tcase_add_test(tc, test_classify_table);
	tcase_add_test(tc, test_classify_branches);
	tcase_add_test(tc, test_cli_stub);
	tcase_add_test(tc, test_site_before_branch_target);
	tcase_add_test(tc, test_site_at_branch_target_traps);
	tcase_add_test(tc, test_site_at_function_end);
	tcase_add_test(tc, test_short_function_via_slot);
	tcase_add_test(tc, test_short_function_traps_without_slot);
	tcase_add_test(tc, test_site_in_data);
	tcase_add_test(tc, test_system_map);
	tcase_add_test(tc, test_irq_save_cluster);
	tcase_add_test(tc, test_monitor_call_stub);
	tcase_add_test(tc, test_iret_noreturn);
	tcase_add_test(tc, test_call_moved);
	tcase_add_test(tc, test_unknown_to_capstone);
	tcase_add_test(tc, test_rdtsc_policy);
	tcase_add_test(tc, test_traps_only);
	tcase_add_test(tc, test_alternative_made_inert);
	tcase_add_test(tc, test_stub_sequences);
	tcase_add_test(tc, test_stub_exec);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_check_detects_tampering);
	tcase_add_test(tc, test_sitetab_parse_rejects);
	tcase_add_test(tc, test_fuzz_mutations);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
