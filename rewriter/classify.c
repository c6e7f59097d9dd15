// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* classify.c - table-driven classification of x86-32 instructions from their bytes. */

/*
 * Theory of operation
 *
 * Capstone says where an instruction ends and that it is valid; this file
 * says what it is, from the bytes, with one rule table: opcode map, opcode,
 * an optional ModRM.reg, an optional ModRM.mod restriction and an optional
 * exact ModRM byte.  The first matching rule wins.  Control flow is decided
 * by a switch on the opcode, since it also needs the displacement.  The
 * caller guarantees @len is the instruction's length as decoded.
 */

#include <assert.h>
#include <string.h>

#include "rewriter/classify.h"

static const char *const rw_class_names[] = {
	[ULVM_SC_NONE] = "none",	 [ULVM_SC_CLI] = "cli",		 [ULVM_SC_STI] = "sti",
	[ULVM_SC_HLT] = "hlt",		 [ULVM_SC_IN] = "in",		 [ULVM_SC_OUT] = "out",
	[ULVM_SC_INS] = "ins",		 [ULVM_SC_OUTS] = "outs",	 [ULVM_SC_MOV_CR] = "mov-cr",
	[ULVM_SC_MOV_DR] = "mov-dr",	 [ULVM_SC_LGDT] = "lgdt",	 [ULVM_SC_LIDT] = "lidt",
	[ULVM_SC_LLDT] = "lldt",	 [ULVM_SC_LTR] = "ltr",		 [ULVM_SC_INVLPG] = "invlpg",
	[ULVM_SC_WBINVD] = "wbinvd",	 [ULVM_SC_INVD] = "invd",	 [ULVM_SC_CLTS] = "clts",
	[ULVM_SC_LMSW] = "lmsw",	 [ULVM_SC_RDMSR] = "rdmsr",	 [ULVM_SC_WRMSR] = "wrmsr",
	[ULVM_SC_RDPMC] = "rdpmc",	 [ULVM_SC_IRET] = "iret",	 [ULVM_SC_SYSEXIT] = "sysexit",
	[ULVM_SC_FAR_JMP] = "ljmp",	 [ULVM_SC_FAR_CALL] = "lcall",	 [ULVM_SC_FAR_RET] = "lret",
	[ULVM_SC_MWAIT] = "monitor/mwait", [ULVM_SC_XSETBV] = "xsetbv", [ULVM_SC_VMCALL] = "vmcall",
	[ULVM_SC_SMAP] = "stac/clac",	 [ULVM_SC_PUSHF] = "pushf",	 [ULVM_SC_POPF] = "popf",
	[ULVM_SC_SGDT] = "sgdt",	 [ULVM_SC_SIDT] = "sidt",	 [ULVM_SC_SLDT] = "sldt",
	[ULVM_SC_STR] = "str",		 [ULVM_SC_SMSW] = "smsw",	 [ULVM_SC_CPUID] = "cpuid",
	[ULVM_SC_SEG_LOAD] = "seg-load", [ULVM_SC_SEG_STORE] = "seg-store", [ULVM_SC_LAR] = "lar",
	[ULVM_SC_LSL] = "lsl",		 [ULVM_SC_VERR] = "verr",	 [ULVM_SC_VERW] = "verw",
	[ULVM_SC_RDTSC] = "rdtsc",	 [ULVM_SC_RDTSCP] = "rdtscp",
};
static_assert(sizeof(rw_class_names) / sizeof(rw_class_names[0]) == ULVM_SC_COUNT,
	      "rw_class_names out of step with enum ulvm_site_class");

static const char *const rw_disp_names[] = {
	[0] = "none",
	[ULVM_SD_STUB_EMUL] = "stub-emul",
	[ULVM_SD_STUB_CALL] = "stub-call",
	[ULVM_SD_TRAP] = "trap",
	[ULVM_SD_INERT_ALT] = "inert-alt",
	[ULVM_SD_NATIVE] = "native",
	[ULVM_SD_DATA] = "data",
};
static_assert(sizeof(rw_disp_names) / sizeof(rw_disp_names[0]) == ULVM_SD_COUNT,
	      "rw_disp_names out of step with enum ulvm_site_disp");

/* ModRM.mod restrictions of a rule. */
#define RW_MOD_ANY 0
#define RW_MOD_REG 1 /* mod == 3 */
#define RW_MOD_MEM 2 /* mod != 3 */

/**
 * struct rw_class_rule - one line of the classification table
 * @ext:	opcode map (0 one-byte, 1 0x0f)
 * @op:		opcode
 * @reg:	required ModRM.reg, or -1
 * @mod:	RW_MOD_*
 * @modrm:	required exact ModRM byte, or -1
 * @cls:	resulting class
 */
struct rw_class_rule {
	uint8_t ext;
	uint8_t op;
	int8_t reg;
	uint8_t mod;
	int16_t modrm;
	uint8_t cls;
};

static const struct rw_class_rule rw_class_rules[] = {
	{ 0, 0xfa, -1, RW_MOD_ANY, -1, ULVM_SC_CLI },
	{ 0, 0xfb, -1, RW_MOD_ANY, -1, ULVM_SC_STI },
	{ 0, 0xf4, -1, RW_MOD_ANY, -1, ULVM_SC_HLT },
	{ 0, 0xe4, -1, RW_MOD_ANY, -1, ULVM_SC_IN },
	{ 0, 0xe5, -1, RW_MOD_ANY, -1, ULVM_SC_IN },
	{ 0, 0xec, -1, RW_MOD_ANY, -1, ULVM_SC_IN },
	{ 0, 0xed, -1, RW_MOD_ANY, -1, ULVM_SC_IN },
	{ 0, 0xe6, -1, RW_MOD_ANY, -1, ULVM_SC_OUT },
	{ 0, 0xe7, -1, RW_MOD_ANY, -1, ULVM_SC_OUT },
	{ 0, 0xee, -1, RW_MOD_ANY, -1, ULVM_SC_OUT },
	{ 0, 0xef, -1, RW_MOD_ANY, -1, ULVM_SC_OUT },
	{ 0, 0x6c, -1, RW_MOD_ANY, -1, ULVM_SC_INS },
	{ 0, 0x6d, -1, RW_MOD_ANY, -1, ULVM_SC_INS },
	{ 0, 0x6e, -1, RW_MOD_ANY, -1, ULVM_SC_OUTS },
	{ 0, 0x6f, -1, RW_MOD_ANY, -1, ULVM_SC_OUTS },
	{ 0, 0xcf, -1, RW_MOD_ANY, -1, ULVM_SC_IRET },
	{ 0, 0xea, -1, RW_MOD_ANY, -1, ULVM_SC_FAR_JMP },
	{ 0, 0xff, 5, RW_MOD_MEM, -1, ULVM_SC_FAR_JMP },
	{ 0, 0x9a, -1, RW_MOD_ANY, -1, ULVM_SC_FAR_CALL },
	{ 0, 0xff, 3, RW_MOD_MEM, -1, ULVM_SC_FAR_CALL },
	{ 0, 0xca, -1, RW_MOD_ANY, -1, ULVM_SC_FAR_RET },
	{ 0, 0xcb, -1, RW_MOD_ANY, -1, ULVM_SC_FAR_RET },
	{ 0, 0x9c, -1, RW_MOD_ANY, -1, ULVM_SC_PUSHF },
	{ 0, 0x9d, -1, RW_MOD_ANY, -1, ULVM_SC_POPF },
	{ 0, 0x8e, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_LOAD },
	{ 0, 0x07, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_LOAD },
	{ 0, 0x17, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_LOAD },
	{ 0, 0x1f, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_LOAD },
	{ 0, 0xc4, -1, RW_MOD_MEM, -1, ULVM_SC_SEG_LOAD }, /* les (mod 3 is VEX) */
	{ 0, 0xc5, -1, RW_MOD_MEM, -1, ULVM_SC_SEG_LOAD }, /* lds */
	{ 0, 0x8c, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_STORE },
	{ 0, 0x06, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_STORE },
	{ 0, 0x0e, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_STORE },
	{ 0, 0x16, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_STORE },
	{ 0, 0x1e, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_STORE },
	{ 1, 0x00, 0, RW_MOD_ANY, -1, ULVM_SC_SLDT },
	{ 1, 0x00, 1, RW_MOD_ANY, -1, ULVM_SC_STR },
	{ 1, 0x00, 2, RW_MOD_ANY, -1, ULVM_SC_LLDT },
	{ 1, 0x00, 3, RW_MOD_ANY, -1, ULVM_SC_LTR },
	{ 1, 0x00, 4, RW_MOD_ANY, -1, ULVM_SC_VERR },
	{ 1, 0x00, 5, RW_MOD_ANY, -1, ULVM_SC_VERW },
	{ 1, 0x01, -1, RW_MOD_REG, 0xc1, ULVM_SC_VMCALL },
	{ 1, 0x01, -1, RW_MOD_REG, 0xd9, ULVM_SC_VMCALL },
	{ 1, 0x01, -1, RW_MOD_REG, 0xc8, ULVM_SC_MWAIT },
	{ 1, 0x01, -1, RW_MOD_REG, 0xc9, ULVM_SC_MWAIT },
	{ 1, 0x01, -1, RW_MOD_REG, 0xca, ULVM_SC_SMAP },
	{ 1, 0x01, -1, RW_MOD_REG, 0xcb, ULVM_SC_SMAP },
	{ 1, 0x01, -1, RW_MOD_REG, 0xd1, ULVM_SC_XSETBV },
	{ 1, 0x01, -1, RW_MOD_REG, 0xf9, ULVM_SC_RDTSCP },
	{ 1, 0x01, 0, RW_MOD_MEM, -1, ULVM_SC_SGDT },
	{ 1, 0x01, 1, RW_MOD_MEM, -1, ULVM_SC_SIDT },
	{ 1, 0x01, 2, RW_MOD_MEM, -1, ULVM_SC_LGDT },
	{ 1, 0x01, 3, RW_MOD_MEM, -1, ULVM_SC_LIDT },
	{ 1, 0x01, 4, RW_MOD_ANY, -1, ULVM_SC_SMSW },
	{ 1, 0x01, 6, RW_MOD_ANY, -1, ULVM_SC_LMSW },
	{ 1, 0x01, 7, RW_MOD_MEM, -1, ULVM_SC_INVLPG },
	{ 1, 0x02, -1, RW_MOD_ANY, -1, ULVM_SC_LAR },
	{ 1, 0x03, -1, RW_MOD_ANY, -1, ULVM_SC_LSL },
	{ 1, 0x06, -1, RW_MOD_ANY, -1, ULVM_SC_CLTS },
	{ 1, 0x08, -1, RW_MOD_ANY, -1, ULVM_SC_INVD },
	{ 1, 0x09, -1, RW_MOD_ANY, -1, ULVM_SC_WBINVD },
	{ 1, 0x20, -1, RW_MOD_ANY, -1, ULVM_SC_MOV_CR },
	{ 1, 0x22, -1, RW_MOD_ANY, -1, ULVM_SC_MOV_CR },
	{ 1, 0x21, -1, RW_MOD_ANY, -1, ULVM_SC_MOV_DR },
	{ 1, 0x23, -1, RW_MOD_ANY, -1, ULVM_SC_MOV_DR },
	{ 1, 0x30, -1, RW_MOD_ANY, -1, ULVM_SC_WRMSR },
	{ 1, 0x31, -1, RW_MOD_ANY, -1, ULVM_SC_RDTSC },
	{ 1, 0x32, -1, RW_MOD_ANY, -1, ULVM_SC_RDMSR },
	{ 1, 0x33, -1, RW_MOD_ANY, -1, ULVM_SC_RDPMC },
	{ 1, 0x35, -1, RW_MOD_ANY, -1, ULVM_SC_SYSEXIT },
	{ 1, 0xa2, -1, RW_MOD_ANY, -1, ULVM_SC_CPUID },
	{ 1, 0xa0, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_STORE },
	{ 1, 0xa8, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_STORE },
	{ 1, 0xa1, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_LOAD },
	{ 1, 0xa9, -1, RW_MOD_ANY, -1, ULVM_SC_SEG_LOAD },
	{ 1, 0xb2, -1, RW_MOD_MEM, -1, ULVM_SC_SEG_LOAD }, /* lss */
	{ 1, 0xb4, -1, RW_MOD_MEM, -1, ULVM_SC_SEG_LOAD }, /* lfs */
	{ 1, 0xb5, -1, RW_MOD_MEM, -1, ULVM_SC_SEG_LOAD }, /* lgs */
};

/**
 * rw_class_name() - printable name of a class
 * @cls:	enum ulvm_site_class
 *
 * Return: a static string ("?" when out of range).
 */
const char *rw_class_name(unsigned int cls)
{
	return cls < ULVM_SC_COUNT ? rw_class_names[cls] : "?";
}

/**
 * rw_disp_name() - printable name of a disposition
 * @disp:	enum ulvm_site_disp
 *
 * Return: a static string ("?" when out of range).
 */
const char *rw_disp_name(unsigned int disp)
{
	return disp < ULVM_SD_COUNT ? rw_disp_names[disp] : "?";
}

/**
 * rw_class_privileged() - does the class fault at CPL3?
 * @cls:	enum ulvm_site_class
 *
 * Return: 1 for privileged classes, 0 for sensitive-but-unprivileged ones.
 */
int rw_class_privileged(unsigned int cls)
{
	return cls > ULVM_SC_NONE && cls < ULVM_SC_PUSHF;
}

/**
 * rw_class_noreturn() - is the class a control transfer the monitor completes?
 * @cls:	enum ulvm_site_class
 *
 * Return: 1 for iret, sysexit and far jmp/call/ret.
 */
int rw_class_noreturn(unsigned int cls)
{
	return cls == ULVM_SC_IRET || cls == ULVM_SC_SYSEXIT || cls == ULVM_SC_FAR_JMP ||
	       cls == ULVM_SC_FAR_CALL || cls == ULVM_SC_FAR_RET;
}

/* The no-op encodings the kernel and its compiler use for padding. */
static const struct {
	uint8_t len;
	uint8_t b[8];
} rw_nop_forms[] = {
	{ 1, { 0x90 } },
	{ 2, { 0x66, 0x90 } },
	{ 2, { 0x89, 0xf6 } },
	{ 3, { 0x8d, 0x76, 0x00 } },
	{ 4, { 0x8d, 0x74, 0x26, 0x00 } },
	{ 5, { 0x3e, 0x8d, 0x74, 0x26, 0x00 } },
	{ 6, { 0x8d, 0xb6, 0x00, 0x00, 0x00, 0x00 } },
	{ 7, { 0x8d, 0xb4, 0x26, 0x00, 0x00, 0x00, 0x00 } },
	{ 8, { 0x3e, 0x8d, 0xb4, 0x26, 0x00, 0x00, 0x00, 0x00 } },
};

/**
 * rw_classify_is_nop() - is this a known no-op encoding?
 * @p:		bytes
 * @len:	instruction length
 *
 * Return: 1 or 0.
 */
static int rw_classify_is_nop(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(rw_nop_forms) / sizeof(rw_nop_forms[0]); i++)
		if (rw_nop_forms[i].len == len && !memcmp(rw_nop_forms[i].b, p, len))
			return 1;
	return 0;
}

/*
 * Valid instructions libcapstone 4 does not decode, found in the 6.1
 * kernel: serialize (sync_core), mcommit, rdpru, and the umonitor/umwait/
 * tpause family (66/f2/f3 0f ae /6 with a register operand).  None is
 * sensitive; knowing their length keeps the sweep in step.
 */
static const struct {
	uint8_t len;
	uint8_t b[4];
} rw_extra_forms[] = {
	{ 3, { 0x0f, 0x01, 0xe8 } }, /* serialize */
	{ 3, { 0x0f, 0x01, 0xfa } }, /* mcommit */
	{ 3, { 0x0f, 0x01, 0xfb } }, /* rdpru */
};

/**
 * rw_classify_extra_len() - length of a valid instruction capstone does not know
 * @p:		bytes
 * @len:	bytes available
 *
 * Return: its length, or 0 if not one of them.
 */
size_t rw_classify_extra_len(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(rw_extra_forms) / sizeof(rw_extra_forms[0]); i++)
		if (len >= rw_extra_forms[i].len && !memcmp(p, rw_extra_forms[i].b, rw_extra_forms[i].len))
			return rw_extra_forms[i].len;
	/* umonitor/umwait/tpause: (66|f2|f3) 0f ae, ModRM mod 3 reg 6 */
	if (len >= 4 && (p[0] == 0x66 || p[0] == 0xf2 || p[0] == 0xf3) && p[1] == 0x0f &&
	    p[2] == 0xae && (p[3] & 0xf8) == 0xf0)
		return 4;
	return 0;
}

static int32_t rw_classify_s32(const uint8_t *p)
{
	return (int32_t)(p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/**
 * rw_classify() - classify one decoded instruction
 * @p:		its bytes
 * @len:	its length (1..15) as decoded
 * @va:		its address (for branch targets)
 * @ic:		filled in
 */
void rw_classify(const uint8_t *p, size_t len, uint32_t va, struct rw_iclass *ic)
{
	size_t i = 0, after;
	uint8_t modrm = 0;
	int has_modrm;
	size_t r;

	memset(ic, 0, sizeof(*ic));
	while (i < len) {
		uint8_t b = p[i];

		if (b == 0xf0)
			ic->lock = 1;
		else if (b == 0x66)
			ic->opsize = 1;
		else if (b != 0x67 && b != 0xf2 && b != 0xf3 && b != 0x2e && b != 0x36 &&
			 b != 0x3e && b != 0x26 && b != 0x64 && b != 0x65)
			break;
		i++;
	}
	if (i >= len) {
		ic->ctl = RW_CTL_OTHER;
		return;
	}
	if (p[i] == 0x0f && i + 1 < len) {
		ic->ext = 1;
		i++;
	}
	ic->op = p[i];
	ic->op_off = (uint8_t)i;
	after = i + 1;
	has_modrm = after < len;
	if (has_modrm)
		modrm = p[after];

	for (r = 0; r < sizeof(rw_class_rules) / sizeof(rw_class_rules[0]); r++) {
		const struct rw_class_rule *ru = &rw_class_rules[r];

		if (ru->ext != ic->ext || ru->op != ic->op)
			continue;
		if ((ru->reg >= 0 || ru->mod != RW_MOD_ANY || ru->modrm >= 0) && !has_modrm)
			continue;
		if (ru->reg >= 0 && ((modrm >> 3) & 7) != ru->reg)
			continue;
		if (ru->mod == RW_MOD_REG && (modrm >> 6) != 3)
			continue;
		if (ru->mod == RW_MOD_MEM && (modrm >> 6) == 3)
			continue;
		if (ru->modrm >= 0 && modrm != ru->modrm)
			continue;
		ic->cls = ru->cls;
		break;
	}
	/* 0f 01 /0../3 with mod 3 are VMX/SVM/etc. forms, not sgdt..lidt: handled above. */

	if (!ic->ext) {
		switch (ic->op) {
		case 0x70 ... 0x7f:
			if (len == after + 1) {
				ic->ctl = ic->opsize ? RW_CTL_OTHER : RW_CTL_JCC;
				ic->rel_size = 1;
				ic->target = va + (uint32_t)len + (uint32_t)(int32_t)(int8_t)p[after];
			} else {
				ic->ctl = RW_CTL_OTHER;
			}
			break;
		case 0xeb:
			ic->ctl = ic->opsize || len != after + 1 ? RW_CTL_OTHER : RW_CTL_JMP;
			ic->rel_size = 1;
			if (len == after + 1)
				ic->target = va + (uint32_t)len + (uint32_t)(int32_t)(int8_t)p[after];
			break;
		case 0xe8:
		case 0xe9:
			if (!ic->opsize && len == after + 4) {
				ic->ctl = ic->op == 0xe8 ? RW_CTL_CALL : RW_CTL_JMP;
				ic->rel_size = 4;
				ic->target = va + (uint32_t)len + (uint32_t)rw_classify_s32(p + after);
			} else {
				ic->ctl = RW_CTL_OTHER;
			}
			break;
		case 0xc2:
		case 0xc3:
			ic->ctl = ic->opsize ? RW_CTL_OTHER : RW_CTL_RET;
			break;
		case 0xff:
			if (has_modrm) {
				unsigned int reg = (modrm >> 3) & 7;

				if (reg == 2 || reg == 4)
					ic->ctl = RW_CTL_IND;
				else if (reg == 3 || reg == 5)
					ic->ctl = RW_CTL_OTHER;
			}
			break;
		case 0x90:
			break;
		case 0xe0 ... 0xe3: /* loop*, jecxz */
		case 0xcc ... 0xcf: /* int3, int n, into, iret */
		case 0xf1:	    /* icebp */
		case 0xea:
		case 0x9a:
		case 0xca:
		case 0xcb:
		case 0xf4:
			ic->ctl = RW_CTL_OTHER;
			break;
		default:
			break;
		}
	} else {
		switch (ic->op) {
		case 0x80 ... 0x8f:
			if (!ic->opsize && len == after + 4) {
				ic->ctl = RW_CTL_JCC;
				ic->rel_size = 4;
				ic->target = va + (uint32_t)len + (uint32_t)rw_classify_s32(p + after);
			} else {
				ic->ctl = RW_CTL_OTHER;
			}
			break;
		case 0x1f:
			ic->pad = 1;
			break;
		case 0x0b: /* ud2 */
		case 0xb9: /* ud1 */
		case 0xff: /* ud0 */
		case 0x05: /* syscall */
		case 0x07: /* sysret */
		case 0x34: /* sysenter */
		case 0x35: /* sysexit */
		case 0xaa: /* rsm */
			ic->ctl = RW_CTL_OTHER;
			break;
		default:
			break;
		}
	}
	if (rw_classify_is_nop(p, len) || (len == 1 && p[0] == 0xcc))
		ic->pad = 1;
	/*
	 * Nops of 5 bytes or more may be run-time patch points (jump labels,
	 * ftrace: the kernel's 32-bit 5-byte nop is 3e 8d 74 26 00).
	 */
	if (ic->pad && len >= 5)
		ic->nop = 1;
	if (rw_class_noreturn(ic->cls))
		ic->ctl = RW_CTL_OTHER;
}
