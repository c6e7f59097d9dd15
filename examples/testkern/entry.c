// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* entry.c - testkern entry (32-bit boot protocol), interrupt stubs, ring-3 code.
 *
 * Assembly in a C file so that the build needs no assembler setup: _start
 * takes the boot_params pointer from %esi; isr_table holds one 16-byte stub
 * per vector that pushes a dummy error code where the CPU pushes none, then
 * the vector, and joins isr_common, which calls isr_dispatch(frame).
 */

__asm__(
	".section .text.head, \"ax\"\n"
	".code32\n"
	".globl _start\n"
	"_start:\n"
	"	cli\n"
	"	mov $stack_top, %esp\n"
	"	push %esi\n"
	"	call kmain\n"
	"1:	hlt\n"
	"	jmp 1b\n"

	".altmacro\n"
	".macro ISR_ENTRY n\n"
	"	.balign 16\n"
	"	.if ((\\n) == 8) || (((\\n) >= 10) && ((\\n) <= 14)) || ((\\n) == 17)\n"
	"	pushl $\\n\n"
	"	.else\n"
	"	pushl $0\n"
	"	pushl $\\n\n"
	"	.endif\n"
	"	jmp isr_common\n"
	".endm\n"

	".text\n"
	".balign 16\n"
	".globl isr_table\n"
	"isr_table:\n"
	".set vec, 0\n"
	".rept 256\n"
	"	ISR_ENTRY %vec\n"
	"	.set vec, vec + 1\n"
	".endr\n"
	".noaltmacro\n"

	"isr_common:\n"
	"	pusha\n"
	"	push %esp\n"
	"	call isr_dispatch\n"
	"	add $4, %esp\n"
	"	popa\n"
	"	add $8, %esp\n"
	"	iret\n"

	/* Ring 3: a system call, a privileged instruction, then back. */
	".globl user_code\n"
	"user_code:\n"
	"	mov $0x1234, %eax\n"
	"	int $0x80\n"
	"	mov %eax, %ebx\n"
	"	cli\n"
	"	int $0x81\n"
	"	ud2\n"

	".bss\n"
	".balign 16\n"
	".space 16384\n"
	".globl stack_top\n"
	"stack_top:\n"
	".space 8192\n"
	".globl user_stack_top\n"
	"user_stack_top:\n"
	".text\n");
