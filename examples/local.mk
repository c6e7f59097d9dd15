# examples/local.mk - build rules for examples (included from the top Makefile.am).
#
# testkern: a freestanding i386 kernel (ELF32 at 1 MiB) that checks every
# path ulvm emulates; built with the host gcc in -m32 mode (gcc-multilib).
TESTKERN_CFLAGS = -m32 -march=i686 -ffreestanding -nostdlib -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -mgeneral-regs-only \
	-O2 $(WARN_CFLAGS)

noinst_PROGRAMS += examples/testkern/testkern
examples_testkern_testkern_SOURCES = examples/testkern/entry.c examples/testkern/testkern.c
examples_testkern_testkern_CFLAGS = $(TESTKERN_CFLAGS)
examples_testkern_testkern_LDFLAGS = -m32 -nostdlib -static -no-pie \
	-Wl,-T,$(srcdir)/examples/testkern/testkern.ld -Wl,--build-id=none \
	-Wl,-z,noexecstack
examples_testkern_testkern_LDADD =
EXTRA_examples_testkern_testkern_DEPENDENCIES = $(srcdir)/examples/testkern/testkern.ld
EXTRA_DIST += examples/testkern/testkern.ld
