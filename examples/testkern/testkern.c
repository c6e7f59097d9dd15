// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* testkern.c - a tiny i386 kernel that checks every path ulvm emulates.
 *
 * Entered like Linux's startup_32 (protected mode, paging off, flat
 * segments, %esi = boot_params), it runs one check per emulated instruction
 * or delivery path, prints "ok"/"FAIL" for each over the 8250 UART, then
 * prints "testkern: all N checks passed" and powers off (port 0x604), or
 * reports the failures and exits through the debug-exit port 0x501.
 * Instructions that never trap (pushf/popf, cpuid, sgdt...) are checked
 * only when the kernel was passed through ulvm-rewrite (the virtual CPUID
 * names "ulvmulvmulvm" then), else listed as skipped.
 */

#include <stdint.h>

#define COM1	0x3f8

/* ---- port I/O and control registers ---- */
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline void invlpg(uint32_t a) { __asm__ volatile("invlpg (%0)" : : "r"(a) : "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }

/* ---- console ---- */
static void putc_(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void puts_(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_('\r');
		putc_(*s);
	}
}

static void putx(uint32_t v)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	puts_("0x");
	for (i = 28; i >= 0; i -= 4)
		putc_(hex[(v >> i) & 0xf]);
}

static void putd(uint32_t v)
{
	char b[12];
	int i = 0;

	do
		b[i++] = (char)('0' + v % 10);
	while (v /= 10);
	while (i)
		putc_(b[--i]);
}

static unsigned int passed, failed;

static void check(const char *what, int ok, uint32_t got)
{
	puts_(ok ? "testkern: ok   " : "testkern: FAIL ");
	puts_(what);
	if (!ok) {
		puts_(" (got ");
		putx(got);
		puts_(")");
	}
	puts_("\n");
	if (ok)
		passed++;
	else
		failed++;
}

/* ---- descriptor tables ---- */
struct tss {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t r[8], seg[6], ldt, iomap;
} __attribute__((packed));

static struct tss tss;
static uint64_t gdt[6];
static uint64_t idt[256];
extern char isr_table[], user_code[], stack_top[], user_stack_top[];

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (limit & 0xffffull) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

static void set_gate(unsigned int v, uint32_t off, unsigned int dpl, int trap)
{
	idt[v] = (off & 0xffff) | (uint64_t)0x08 << 16 |
		 (uint64_t)(0x80 | dpl << 5 | (trap ? 0xf : 0xe)) << 40 |
		 (uint64_t)(off >> 16) << 48;
}

static void load_tables(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d;
	unsigned int i;

	gdt[1] = seg_desc(0, 0xfffff, 0x9a, 0xc);	/* 0x08 kernel code */
	gdt[2] = seg_desc(0, 0xfffff, 0x92, 0xc);	/* 0x10 kernel data */
	gdt[3] = seg_desc(0, 0xfffff, 0xfa, 0xc);	/* 0x1b user code */
	gdt[4] = seg_desc(0, 0xfffff, 0xf2, 0xc);	/* 0x23 user data */
	gdt[5] = seg_desc((uint32_t)&tss, sizeof(tss) - 1, 0x89, 0);	/* 0x28 TSS */
	d.limit = sizeof(gdt) - 1;
	d.base = (uint32_t)gdt;
	__asm__ volatile("lgdt %0" : : "m"(d));
	__asm__ volatile("ljmp $0x08, $1f\n1:\n"
			 "mov $0x10, %%eax\n mov %%eax, %%ds\n mov %%eax, %%es\n"
			 "mov %%eax, %%ss\n mov %%eax, %%fs\n mov %%eax, %%gs\n"
			 : : : "eax", "memory");
	for (i = 0; i < 256; i++)
		set_gate(i, (uint32_t)isr_table + 16 * i, 0, 0);
	set_gate(0x80, (uint32_t)isr_table + 16 * 0x80, 3, 1);
	set_gate(0x81, (uint32_t)isr_table + 16 * 0x81, 3, 0);
	d.limit = sizeof(idt) - 1;
	d.base = (uint32_t)idt;
	__asm__ volatile("lidt %0" : : "m"(d));
}

/* ---- interrupts ---- */
struct frame {
	uint32_t edi, esi, ebp, esp_, ebx, edx, ecx, eax;
	uint32_t vec, err, eip, cs, eflags, usp, uss;
};

static volatile uint32_t ticks, last_vec, last_err, last_eip, last_cs, last_cr2;
static volatile uint32_t last_usp, last_uss, uart_irqs;
static volatile uint32_t skip;			/* bytes to skip on the next fault */
static volatile uint32_t *pf_fix_pte;		/* PTE the #PF handler fixes */
static volatile uint32_t pf_fix_val;
static volatile uint32_t user_done, echo_mode, echo_done;
volatile uint32_t resume_esp;

void isr_dispatch(struct frame *f);
void kmain(uint32_t boot_params);
void user_return(void);

void isr_dispatch(struct frame *f)
{
	if (f->vec >= 0x20 && f->vec < 0x30) {
		if (f->vec == 0x20)
			ticks++;
		if (f->vec == 0x24 && echo_mode) {
			while (inb(COM1 + 5) & 0x01) {	/* data ready */
				char ch = (char)inb(COM1);

				if (ch == 'q')
					echo_done = 1;
				else
					putc_(ch);
			}
		} else if (f->vec == 0x24) {
			uart_irqs++;
			(void)inb(COM1 + 2);	/* IIR read clears THRE */
			outb(0x21, inb(0x21) | 0x10);	/* mask IRQ4 again */
		}
		outb(0x20, 0x20);		/* EOI */
		return;
	}
	last_vec = f->vec;
	last_err = f->err;
	last_eip = f->eip;
	last_cs = f->cs;
	switch (f->vec) {
	case 0x80:				/* system call: eax + 1 */
		f->eax += 1;
		last_usp = f->usp;
		last_uss = f->uss;
		return;
	case 0x81:				/* ring 3 is done: resume the kernel */
		user_done = 1;
		f->eip = (uint32_t)user_return;
		f->cs = 0x08;
		f->eflags &= ~0x200u;
		return;
	case 0x30:
		f->eax = 0xc0ffee;
		return;
	case 14:
		last_cr2 = read_cr2();
		if (pf_fix_pte) {
			*pf_fix_pte = pf_fix_val;
			pf_fix_pte = 0;
			invlpg(last_cr2);
		}
		return;
	default:
		f->eip += skip;
		skip = 0;
		return;
	}
}

/* ---- the checks ---- */
static void check_io(void)
{
	static uint8_t buf[4];
	uint8_t *bp = buf, v;

	outb(COM1 + 7, 0x5a);
	check("in/out: UART scratch register", inb(COM1 + 7) == 0x5a, inb(COM1 + 7));
	check("in: UART LSR shows THR empty", (inb(COM1 + 5) & 0x60) == 0x60, inb(COM1 + 5));
	outb(COM1 + 7, 0xa5);
	__asm__ volatile("cld; insb" : "+D"(bp) : "d"(COM1 + 7) : "memory");
	check("insb: UART scratch into memory", buf[0] == 0xa5, buf[0]);
	{
		static const char msg[] = "testkern: rep outsb reaches the console\r\n";
		const char *p = msg;
		uint32_t n = sizeof(msg) - 1;

		__asm__ volatile("cld; rep outsb" : "+S"(p), "+c"(n) : "d"(COM1) : "memory");
		check("rep outsb: string to the UART", n == 0 && p == msg + sizeof(msg) - 1, n);
	}
	outb(0x70, 0x0d);
	check("CMOS register D reports valid RAM", inb(0x71) == 0x80, inb(0x71));
	outb(0x70, 0x00);
	v = inb(0x71);
	check("CMOS seconds are BCD", (v & 0xf) <= 9 && v < 0x60, v);
	/* PIC: remap to 0x20/0x28, everything masked but what we unmask. */
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xfb); outb(0xa1, 0xff);
	check("PIC: mask register reads back", inb(0x21) == 0xfb && inb(0xa1) == 0xff, inb(0x21));
	/* PIT channel 0: rate generator at 1 kHz; its count must move. */
	outb(0x43, 0x34);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	{
		uint16_t a, b;
		int i;

		outb(0x43, 0x00);
		a = inb(0x40);			/* low byte, then high byte */
		a = (uint16_t)(a | inb(0x40) << 8);
		for (i = 0; i < 100000; i++) {
			outb(0x43, 0x00);
			b = inb(0x40);
			b = (uint16_t)(b | inb(0x40) << 8);
			if (b != a)
				break;
		}
		check("PIT: latched count within the period and moving",
		      a <= 1193 && b <= 1193 && a != b, b);
	}
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Linux's pit_calibrate_tsc(): gate channel 2, 10 ms one-shot, poll OUT2
 * on port 0x61; it needs >= 1000 polls and max/min poll time < 10. */
static void check_pit_calibration(void)
{
	uint32_t latch = 1193182 / 100, pitcnt = 0, tmin = ~0u, tmax = 0, d;
	uint64_t t, t0, t2;

	cli();
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);
	outb(0x42, (uint8_t)latch);
	outb(0x42, (uint8_t)(latch >> 8));
	t = t0 = rdtsc();
	while (!(inb(0x61) & 0x20)) {
		t2 = rdtsc();
		d = (uint32_t)(t2 - t);
		t = t2;
		if (d < tmin)
			tmin = d;
		if (d > tmax)
			tmax = d;
		pitcnt++;
		if (t2 - t0 > 10000000000ull)
			break;
	}
	puts_("testkern: PIT calibration loop: ");
	putd(pitcnt);
	puts_(" polls, TSC ticks per poll min ");
	putd(tmin);
	puts_(" max ");
	putd(tmax);
	puts_(", 10 ms = ");
	putd((uint32_t)((t - t0) >> 10));
	puts_(" Ki TSC ticks\n");
	check("PIT channel 2 one-shot: OUT2 rises (port 0x61 bit 5)", pitcnt && t - t0 < 10000000000ull, pitcnt);
}

static void check_cpu(void)
{
	uint32_t cr0 = read_cr0(), lo, hi;

	check("mov %cr0: protected mode, paging off", (cr0 & 0x80000001u) == 1, cr0);
	write_cr4(read_cr4() | 0x10);
	check("mov %cr4: PSE set and read back", read_cr4() & 0x10, read_cr4());
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x10));
	check("rdmsr: TSC MSR is running", lo | hi, lo);
	skip = 2;
	last_vec = 0xff;
	/* the branch makes the end of the wrmsr a jump target, which a rewritten
	 * region never spans: resuming 2 bytes on (as an exception-table
	 * fixup would) stays valid when ulvm-rewrite put the wrmsr in a stub */
	__asm__ volatile("testl %%eax, %%eax\n jnz 1f\n wrmsr\n 1:"
			 : : "c"(0xdead), "a"(0), "d"(0) : "cc");
	check("wrmsr: unknown MSR raises #GP", last_vec == 13, last_vec);
}

static void check_exceptions(void)
{
	uint32_t a, here;

	last_vec = 0xff;
	__asm__ volatile("int3\n 1: mov $1b, %0" : "=r"(here) : : "memory");
	check("int3: vector 3 through the IDT", last_vec == 3, last_vec);
	check("int3: frame EIP after the int3", last_eip == here, last_eip);
	check("int3: frame CS is the guest's selector 0x08", last_cs == 0x08, last_cs);
	last_vec = 0xff;
	skip = 2;
	__asm__ volatile("1: ud2\n mov $1b, %0" : "=r"(here) : : "memory");
	check("ud2: #UD (vector 6) at the instruction", last_vec == 6 && last_eip == here, last_eip);
	a = 0;
	__asm__ volatile("int $0x30" : "+a"(a) : : "memory");
	check("int $0x30: software interrupt, handler sets EAX", a == 0xc0ffee, a);
	a = 41;
	__asm__ volatile("int $0x80" : "+a"(a) : : "memory");
	check("int $0x80: Syscall User Dispatch -> vector 0x80", a == 42, a);
	last_vec = 0xff;
	skip = 2;
	__asm__ volatile("mov $0x1234, %%eax\n test %%eax, %%eax\n jz 1f\n mov %%eax, %%ds\n"
			 "1: mov $0x10, %%eax\n mov %%eax, %%ds"
			 : : : "eax", "memory", "cc");
	check("mov %ds with a bad selector: #GP(0x1234)", last_vec == 13 && last_err == 0x1234, last_err);
	last_vec = 0xff;
	skip = 2;
	__asm__ volatile("xor %%edx, %%edx\n mov $1, %%eax\n xor %%ecx, %%ecx\n div %%ecx"
			 : : : "eax", "ecx", "edx");
	check("div by zero: #DE (vector 0)", last_vec == 0, last_vec);
}

static void spin_io(unsigned int n)
{
	while (n--)
		(void)inb(0x61);
}

static void check_timer(void)
{
	uint32_t t0, i;

	cli();
	ticks = 0;
	outb(0x21, 0xfa);			/* unmask IRQ0 (and the cascade) */
	spin_io(4000);				/* several ms with IF clear */
	check("cli: no timer interrupt while IF is clear", ticks == 0, ticks);
	sti();
	t0 = ticks;
	check("sti: the pending timer interrupt arrives at once", t0 >= 1, t0);
	for (i = 0; i < 10; i++)
		__asm__ volatile("hlt" ::: "memory");
	check("hlt: waits for the timer interrupt (10 hlts, >= 10 ticks)", ticks - t0 >= 10, ticks - t0);
	cli();
	outb(COM1 + 4, 0x08);			/* OUT2: UART interrupts reach the PIC */
	outb(0x21, inb(0x21) & ~0x10);
	outb(COM1 + 1, 0x02);			/* THR-empty interrupt */
	sti();
	__asm__ volatile("hlt" ::: "memory");
	cli();
	outb(COM1 + 1, 0x00);
	check("UART THRE interrupt on IRQ 4 (vector 0x24)", uart_irqs == 1, uart_irqs);
}

/* Paging: 4 MiB identity pages for 0-16 MiB, one 4 KiB table at 1 GiB. */
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pd2[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
static uint32_t pg_a[1024] __attribute__((aligned(4096)));
static uint32_t pg_b[1024] __attribute__((aligned(4096)));
#define VA 0x40000000u
/* The monitor changes these behind the compiler's back: always reload. */
#define V(x) (*(volatile uint32_t *)&(x))

static void check_paging(void)
{
	volatile uint32_t *va = (volatile uint32_t *)VA;
	uint32_t i, v;

	for (i = 0; i < 4; i++)
		pd[i] = (i << 22) | 0x87;		/* P RW US PS */
	pd[VA >> 22] = (uint32_t)pt | 0x07;
	pt[0] = (uint32_t)pg_a | 0x07;
	pg_a[0] = 0xaaaa0000;
	pg_b[0] = 0xbbbb0000;
	for (i = 0; i < 1024; i++)
		pd2[i] = pd[i];
	write_cr3((uint32_t)pd);
	check("mov %cr3: reads back", read_cr3() == (uint32_t)pd, read_cr3());
	write_cr0(read_cr0() | 0x80010000u);	/* PG, WP */
	check("mov %cr0: paging on", read_cr0() & 0x80000000u, read_cr0());
	check("paging: read through a 4 KiB mapping", va[0] == 0xaaaa0000, va[0]);
	check("paging: accessed bit set, dirty bit clear", (V(pt[0]) & 0x60) == 0x20, V(pt[0]));
	va[1] = 0x12345678;
	check("paging: write lands in the physical page", V(pg_a[1]) == 0x12345678, V(pg_a[1]));
	check("paging: dirty bit set by the write", V(pt[0]) & 0x40, V(pt[0]));
	pt[0] = (uint32_t)pg_b | 0x07;
	invlpg(VA);
	check("invlpg: new translation seen", va[0] == 0xbbbb0000, va[0]);
	/* Demand paging: not present -> #PF, the handler maps, the load restarts. */
	pf_fix_pte = &V(pt[1]);
	pf_fix_val = (uint32_t)pg_a | 0x07;
	last_vec = 0xff;
	v = va[1024];
	check("#PF: not-present read faults (vector 14)", last_vec == 14 && last_err == 0, last_err);
	check("#PF: CR2 holds the address", last_cr2 == VA + 4096, last_cr2);
	check("#PF: restarted load reads the page", v == 0xaaaa0000, v);
	/* Write protection with CR0.WP. */
	pt[2] = (uint32_t)pg_b | 0x05;			/* read-only */
	invlpg(VA + 8192);
	pf_fix_pte = &V(pt[2]);
	pf_fix_val = (uint32_t)pg_b | 0x07;
	last_vec = 0xff;
	va[2048 + 2] = 0x55;
	check("#PF: write to a read-only page (err P|W)", last_vec == 14 && last_err == 3, last_err);
	check("#PF: restarted store done", V(pg_b[2]) == 0x55, V(pg_b[2]));
	/* CR3 switch flushes: pd2 maps VA elsewhere. */
	pd2[VA >> 22] = (uint32_t)pg_a | 0;		/* not present */
	pd2[(VA >> 22) + 1] = 0;
	pt[0] = (uint32_t)pg_a | 0x07;
	write_cr3((uint32_t)pd2);
	pf_fix_pte = &V(pd2[VA >> 22]);
	pf_fix_val = (uint32_t)pt | 0x07;
	last_vec = 0xff;
	v = va[0];
	check("mov %cr3: old mappings flushed (#PF in the new space)", last_vec == 14, last_vec);
	check("mov %cr3: new space reads its own page", v == 0xaaaa0000, v);
}

static void cpuid(uint32_t leaf, uint32_t r[4]);
static int rewritten(void);

/* Rewritten with stubs: the monitor's CPUID leaf 0x40000001 EAX bit 0. */
static int stubs(void)
{
	uint32_t r[4];

	if (!rewritten())
		return 0;
	cpuid(0x40000001u, r);
	return r[0] & 1;
}

static __attribute__((noinline)) void check_user(void)
{
	uint32_t frame[5];

	tss.ss0 = 0x10;
	tss.esp0 = (uint32_t)stack_top - 1024;
	tss.iomap = sizeof(tss);
	__asm__ volatile("ltr %w0" : : "r"(0x28));
	frame[0] = (uint32_t)user_code;
	frame[1] = 0x1b;
	frame[2] = 0x202;
	frame[3] = (uint32_t)user_stack_top;
	frame[4] = 0x23;
	skip = 1;				/* the user's cli */
	last_vec = 0xff;
	__asm__ volatile("mov %%esp, resume_esp\n"
			 "mov %0, %%esp\n"
			 "iret\n"
			 ".globl user_return\n"
			 "user_return:\n"
			 "mov resume_esp, %%esp\n"
			 : : "r"(frame) : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
	check("iret to ring 3 and int $0x81 back", user_done == 1, user_done);
	check("int $0x80 from ring 3: user SS:ESP in the frame",
	      last_uss == 0x23 && last_usp == (uint32_t)user_stack_top, last_usp);
	if (stubs())	/* a cli stub only clears the virtual IF, at any CPL */
		check("cli at CPL 3 with stubs: no #GP, ring 3 went on", last_vec == 0x81 && skip == 1,
		      skip);
	else
		check("cli at CPL 3 (IOPL 0): #GP delivered", last_vec == 0x81 && skip == 0, skip);
}

/* ---- instructions that never trap: checked only when ulvm-rewrite made
 * them traps or stubs (the vCPU then answers CPUID with its own name) ---- */
static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

static int rewritten(void)
{
	uint32_t r[4];

	cpuid(0x40000000u, r);
	return r[1] == 0x6d766c75 && r[2] == 0x6d766c75 && r[3] == 0x6d766c75;	/* "ulvm" */
}

static uint32_t pushf(void)
{
	uint32_t f;

	__asm__ volatile("pushfl; popl %0" : "=r"(f) : : "memory");
	return f;
}

static void popf(uint32_t f)
{
	__asm__ volatile("pushl %0; popfl" : : "r"(f) : "memory", "cc");
}

static __attribute__((noinline)) void check_rewritten(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d;
	uint32_t r[4], f, t0, v;
	uint16_t sel;

	cpuid(1, r);
	check("cpuid: hypervisor bit set, SEP hidden", (r[2] >> 31) && !(r[3] & (1u << 11)), r[3]);
	cli();
	f = pushf();
	check("pushf after cli: virtual IF clear", !(f & 0x200), f);
	sti();
	f = pushf();
	check("pushf after sti: virtual IF set", f & 0x200, f);
	cli();
	f = pushf();
	popf(f | 0x200);
	check("popf: sets the virtual IF", pushf() & 0x200, pushf());
	popf(f);
	check("popf: clears the virtual IF", !(pushf() & 0x200), pushf());
	/* an interrupt held while IF is clear arrives on the popf that sets it */
	outb(0x21, 0xfa);
	t0 = ticks;
	spin_io(3000);
	popf(f | 0x200);
	v = ticks;
	cli();
	check("popf: pending timer interrupt delivered at once", v > t0, v - t0);
	__asm__ volatile("sgdt %0" : "=m"(d));
	check("sgdt: the guest's own GDT", d.base == (uint32_t)gdt && d.limit == sizeof(gdt) - 1, d.base);
	__asm__ volatile("sidt %0" : "=m"(d));
	check("sidt: the guest's own IDT", d.base == (uint32_t)idt && d.limit == sizeof(idt) - 1, d.base);
	__asm__ volatile("str %0" : "=r"(sel));
	check("str: the guest's TSS selector", sel == 0x28, sel);
	__asm__ volatile("smsw %0" : "=r"(v));
	check("smsw: CR0 with PE and PG", (v & 0x80000001u) == 0x80000001u, v);
	__asm__ volatile("mov %%ds, %0" : "=r"(sel));
	check("mov %ds, reg: the guest's selector 0x10", sel == 0x10, sel);
	__asm__ volatile("push %%cs; pop %0" : "=r"(v));
	check("push %cs: the guest's selector 0x08", (v & 0xffff) == 0x08, v);
	__asm__ volatile("lsl %1, %0" : "=r"(v) : "r"(0x10u) : "cc");
	check("lsl: the guest descriptor's limit", v == 0xffffffffu, v);
}

/* "echo" on the command line: copy UART input back (RX interrupts, hlt
 * between them) until a 'q', then power off -- a console input test. */
static int cmdline_has(uint32_t boot_params, const char *word)
{
	const char *c = (const char *)*(const uint32_t *)(boot_params + 0x228);
	unsigned int i;

	if (!c)
		return 0;
	for (; *c; c++) {
		for (i = 0; word[i] && c[i] == word[i]; i++)
			;
		if (!word[i])
			return 1;
	}
	return 0;
}

static void echo_loop(void)
{
	puts_("testkern: echo mode, type q to stop\n");
	echo_mode = 1;
	outb(COM1 + 4, 0x08);			/* OUT2 */
	outb(COM1 + 1, 0x01);			/* received-data interrupt */
	outb(0x21, 0xef);			/* IRQ4 only */
	while (!echo_done)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	puts_("\ntestkern: echo done\n");
	outw(0x604, 0x2000);
}

void kmain(uint32_t boot_params)
{
	outb(COM1 + 3, 0x80);			/* 115200 8N1 */
	outb(COM1 + 0, 1);
	outb(COM1 + 1, 0);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0x07);
	puts_("testkern: hello from ring 0, boot_params at ");
	putx(boot_params);
	puts_("\n");
	load_tables();
	if (cmdline_has(boot_params, "echo")) {
		outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
		echo_loop();
	}
	check("lgdt, ljmp, segment loads, lidt", 1, 0);
	check_io();
	check_pit_calibration();
	check_cpu();
	check_exceptions();
	check_timer();
	check_paging();
	check_user();
	if (rewritten()) {
		puts_("testkern: running rewritten by ulvm-rewrite\n");
		check_rewritten();
	} else {
		puts_("testkern: skipped: cpuid/pushf/popf/sgdt/sidt/str/smsw/segment reads "
		      "(they never trap: rewrite with ulvm-rewrite to check them)\n");
	}
	if (failed) {
		puts_("testkern: ");
		putd(failed);
		puts_(" of ");
		putd(passed + failed);
		puts_(" checks FAILED\n");
		outb(0x501, 1);
	} else {
		puts_("testkern: all ");
		putd(passed);
		puts_(" checks passed\n");
		outw(0x604, 0x2000);
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}
