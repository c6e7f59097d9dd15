// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* stub.c - emitting the stubs: guest-mode emulation of the interrupt flag, monitor calls, moved code. */

/*
 * Theory of operation
 *
 * A stub replays its region instruction by instruction, then jumps back
 * to the end of the region (unless the last one was a ret, a jmp or a
 * control transfer the monitor completes).  Ordinary instructions are
 * copied; direct jcc/jmp/call are re-encoded with 32-bit displacements to
 * the same absolute target.  Sites become:
 *
 * (every access to the vCPU page goes through %ss, see vcpu_abi.h)
 *
 *  cli	 movb $0, vif
 *  sti	 movb $1, vif; pushfl; cmpb $0, pending; jz 1f; <monitor call>; 1: popfl
 *	 (only movb $1, vif when a hlt follows in the same stub: as with the
 *	 hardware's interrupt shadow, the hlt's monitor call delivers)
 *  pushf pushfl; pushfl; testb $1, vif; jnz 1f; andl $~0x200, 4(%esp); 1: popfl
 *  popf testl $0x200, (%esp); jz 2f; movb $1, vif; cmpb $0, pending; jz 3f;
 *	 popfl; <monitor call>; jmp 4f; 2: movb $0, vif; 3: popfl; 4:
 *  other <monitor call>   (pushl $id; lcall *call; leal 4(%esp), %esp)
 *	 and a ud2 after it for the control transfers
 *
 * Instructions after a terminal one (ret, jmp, control transfer) are
 * dead padding absorbed by the region and not replayed.
 *
 * Every sequence preserves the general registers and, where the original
 * instruction does, the arithmetic flags (the scratch pushfl/popfl pairs
 * restore them; popfl at CPL3 cannot change IF or IOPL, which is fine:
 * the real IF is always 1).  The generator depends only on the region's
 * bytes and addresses, so --check regenerates every stub and compares.
 */

#include <string.h>

#include "rewriter/classify.h"
#include "rewriter/stub.h"
#include "rewriter/vcpu_abi.h"

/**
 * struct rw_stub_buf - bounded output cursor
 * @p:		buffer
 * @len:	bytes written
 * @cap:	capacity
 * @va:		guest address of @p[0]
 * @over:	set when a write did not fit
 */
struct rw_stub_buf {
	uint8_t *p;
	size_t len, cap;
	uint32_t va;
	int over;
};

static void rw_stub_put(struct rw_stub_buf *o, const void *b, size_t n)
{
	if (o->len + n > o->cap) {
		o->over = 1;
		return;
	}
	memcpy(o->p + o->len, b, n);
	o->len += n;
}

static void rw_stub_put8(struct rw_stub_buf *o, uint8_t v)
{
	rw_stub_put(o, &v, 1);
}

static void rw_stub_put32(struct rw_stub_buf *o, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	rw_stub_put(o, b, 4);
}

static uint32_t rw_stub_here(const struct rw_stub_buf *o)
{
	return o->va + (uint32_t)o->len;
}

/* movb $v, %ss:abs32 */
static void rw_stub_movb(struct rw_stub_buf *o, uint32_t addr, uint8_t v)
{
	rw_stub_put8(o, 0x36);
	rw_stub_put8(o, 0xc6);
	rw_stub_put8(o, 0x05);
	rw_stub_put32(o, addr);
	rw_stub_put8(o, v);
}

/* cmpb $0, %ss:abs32 */
static void rw_stub_cmpb0(struct rw_stub_buf *o, uint32_t addr)
{
	rw_stub_put8(o, 0x36);
	rw_stub_put8(o, 0x80);
	rw_stub_put8(o, 0x3d);
	rw_stub_put32(o, addr);
	rw_stub_put8(o, 0x00);
}

/**
 * rw_stub_call() - emit a monitor call for a site
 * @o:		output
 * @vcpu:	vCPU page address
 * @id:		site id
 *
 * Return: the return EIP of the lcall.
 */
static uint32_t rw_stub_call(struct rw_stub_buf *o, uint32_t vcpu, uint32_t id)
{
	uint32_t ret;

	rw_stub_put8(o, 0x68); /* pushl $id */
	rw_stub_put32(o, id);
	rw_stub_put8(o, 0x36); /* lcall *%ss:abs32 */
	rw_stub_put8(o, 0xff);
	rw_stub_put8(o, 0x1d);
	rw_stub_put32(o, vcpu + ULVM_VCPU_OFF_CALL);
	ret = rw_stub_here(o);
	rw_stub_put(o, "\x8d\x64\x24\x04", 4); /* leal 4(%esp), %esp */
	return ret;
}

/**
 * rw_stub_emulable() - is this site emulated without the monitor?
 * @b:		instruction bytes
 * @len:	their number
 *
 * Return: 1 for the one-byte cli, sti, pushfl, popfl.
 */
int rw_stub_emulable(const uint8_t *b, size_t len)
{
	return len == 1 && (b[0] == 0xfa || b[0] == 0xfb || b[0] == 0x9c || b[0] == 0x9d);
}

/**
 * rw_stub_site() - emit the replacement of one site
 * @o:		output
 * @in:		the site (call_ret and emul filled in)
 * @vcpu:	vCPU page address
 * @before_hlt:	the next instruction is a hlt site in the same stub
 */
static void rw_stub_site(struct rw_stub_buf *o, struct rw_stub_insn *in, uint32_t vcpu,
			 int before_hlt)
{
	uint32_t vif = vcpu + ULVM_VCPU_OFF_VIF, pend = vcpu + ULVM_VCPU_OFF_PENDING;
	struct rw_iclass ic;
	size_t mark;

	in->emul = rw_stub_emulable(in->b, in->len);
	in->call_ret = 0;
	if (!in->emul) {
		rw_classify(in->b, in->len, in->va, &ic);
		in->call_ret = rw_stub_call(o, vcpu, in->id);
		if (rw_class_noreturn(ic.cls))
			rw_stub_put(o, "\x0f\x0b", 2);
		return;
	}
	switch (in->b[0]) {
	case 0xfa: /* cli */
		rw_stub_movb(o, vif, 0);
		break;
	case 0xfb: /* sti */
		rw_stub_movb(o, vif, 1);
		/* sti; hlt: the interrupt shadow: hlt's monitor call delivers. */
		if (before_hlt)
			break;
		rw_stub_put8(o, 0x9c);
		rw_stub_cmpb0(o, pend);
		rw_stub_put8(o, 0x74); /* jz over the call */
		mark = o->len;
		rw_stub_put8(o, 0);
		in->call_ret = rw_stub_call(o, vcpu, in->id);
		if (!o->over)
			o->p[mark] = (uint8_t)(o->len - mark - 1);
		rw_stub_put8(o, 0x9d);
		break;
	case 0x9c: /* pushfl */
		rw_stub_put(o, "\x9c\x9c", 2);
		rw_stub_put8(o, 0x36); /* testb $1, %ss:vif */
		rw_stub_put8(o, 0xf6);
		rw_stub_put8(o, 0x05);
		rw_stub_put32(o, vif);
		rw_stub_put8(o, 0x01);
		rw_stub_put(o, "\x75\x08", 2);				 /* jnz 1f */
		rw_stub_put(o, "\x81\x64\x24\x04\xff\xfd\xff\xff", 8); /* andl $~IF, 4(%esp) */
		rw_stub_put8(o, 0x9d);					 /* 1: popfl */
		break;
	case 0x9d: { /* popfl */
		size_t j2, j3, j4;

		rw_stub_put(o, "\xf7\x04\x24\x00\x02\x00\x00", 7); /* testl $IF, (%esp) */
		rw_stub_put8(o, 0x74);
		j2 = o->len;
		rw_stub_put8(o, 0);
		rw_stub_movb(o, vif, 1);
		rw_stub_cmpb0(o, pend);
		rw_stub_put8(o, 0x74);
		j3 = o->len;
		rw_stub_put8(o, 0);
		rw_stub_put8(o, 0x9d);
		in->call_ret = rw_stub_call(o, vcpu, in->id);
		rw_stub_put8(o, 0xeb);
		j4 = o->len;
		rw_stub_put8(o, 0);
		if (!o->over)
			o->p[j2] = (uint8_t)(o->len - j2 - 1);
		rw_stub_movb(o, vif, 0);
		if (!o->over)
			o->p[j3] = (uint8_t)(o->len - j3 - 1);
		rw_stub_put8(o, 0x9d);
		if (!o->over)
			o->p[j4] = (uint8_t)(o->len - j4 - 1);
		break;
	}
	default:
		break;
	}
}

/**
 * rw_stub_emit() - generate the stub of a region
 * @ins:	its instructions, in order (OUT fields filled in)
 * @n:		their number
 * @region_end:	address just after the region (where the stub returns)
 * @stub_va:	guest address of the stub
 * @vcpu_va:	guest address of the vCPU page
 * @out:	output buffer
 * @cap:	its capacity
 *
 * Return: the stub's length, or -1 if it does not fit or a moved
 * instruction cannot be relocated.
 */
int rw_stub_emit(struct rw_stub_insn *ins, size_t n, uint32_t region_end, uint32_t stub_va,
		 uint32_t vcpu_va, uint8_t *out, size_t cap)
{
	struct rw_stub_buf o = { .p = out, .cap = cap, .va = stub_va };
	int terminal = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		struct rw_stub_insn *in = &ins[i];
		struct rw_iclass ic;

		/* What follows a ret, jmp or control transfer is dead padding. */
		if (terminal)
			break;
		if (in->site) {
			rw_stub_site(&o, in, vcpu_va,
				     i + 1 < n && ins[i + 1].site && ins[i + 1].len == 1 &&
					     ins[i + 1].b[0] == 0xf4);
			rw_classify(in->b, in->len, in->va, &ic);
			terminal = rw_class_noreturn(ic.cls);
			continue;
		}
		rw_classify(in->b, in->len, in->va, &ic);
		switch (ic.ctl) {
		case RW_CTL_NONE:
			rw_stub_put(&o, in->b, in->len);
			break;
		case RW_CTL_JCC:
			rw_stub_put8(&o, 0x0f);
			rw_stub_put8(&o, (uint8_t)(0x80 | (ic.op & 0x0f)));
			rw_stub_put32(&o, ic.target - (rw_stub_here(&o) + 4));
			break;
		case RW_CTL_CALL:
			rw_stub_put8(&o, 0xe8);
			rw_stub_put32(&o, ic.target - (rw_stub_here(&o) + 4));
			break;
		case RW_CTL_JMP:
			rw_stub_put8(&o, 0xe9);
			rw_stub_put32(&o, ic.target - (rw_stub_here(&o) + 4));
			terminal = 1;
			break;
		case RW_CTL_RET:
			rw_stub_put(&o, in->b, in->len);
			terminal = 1;
			break;
		default:
			return -1;
		}
	}
	if (!terminal) {
		rw_stub_put8(&o, 0xe9);
		rw_stub_put32(&o, region_end - (rw_stub_here(&o) + 4));
	}
	if (o.over)
		return -1;
	return (int)o.len;
}
