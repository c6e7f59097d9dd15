# rewriter/local.mk - build rules for rewriter (included from the top Makefile.am).
#
# librewriter.a holds everything; ulvm-rewrite is its command line, and the
# unit runner links the same library.  liblzma (xz-utils' library, Debian
# liblzma-dev) decompresses bzImage payloads.
noinst_LIBRARIES += librewriter.a
librewriter_a_SOURCES = \
	rewriter/err.c rewriter/err.h \
	rewriter/image.c rewriter/image.h \
	rewriter/elf32.c rewriter/elf32.h \
	rewriter/symbols.c \
	rewriter/linux.c \
	rewriter/decode.c \
	rewriter/classify.c rewriter/classify.h \
	rewriter/stub.c rewriter/stub.h \
	rewriter/patch.c \
	rewriter/sitetab.c rewriter/sitetab.h rewriter/sitetab_abi.h rewriter/vcpu_abi.h \
	rewriter/rewrite.c rewriter/rewrite.h rewriter/rw_internal.h rewriter/ctx.h \
	rewriter/check.c \
	rewriter/report.c \
	rewriter/fuzz.c rewriter/fuzz.h
librewriter_a_CFLAGS = $(AM_CFLAGS) $(CAPSTONE_CFLAGS) $(LZMA_CFLAGS)

REWRITER_LIBS = librewriter.a $(CAPSTONE_LIBS) $(LZMA_LIBS)

bin_PROGRAMS += ulvm-rewrite
ulvm_rewrite_SOURCES = rewriter/main.c
ulvm_rewrite_CFLAGS = $(AM_CFLAGS) $(CAPSTONE_CFLAGS)
ulvm_rewrite_LDADD = $(REWRITER_LIBS)

# Unit tests (tests/unit/rewriter) in the shared runner.
tests_unit_runner_SOURCES += tests/unit/rewriter/test_rewriter.c \
	tests/unit/rewriter/exec32.c tests/unit/rewriter/exec32.h \
	tests/unit/rewriter/tb.c tests/unit/rewriter/tb.h
tests_unit_runner_LDADD += $(REWRITER_LIBS)

# The real Debian kernel (skips without it) and the benchmark.
TESTS += tests/integration/rewrite-debian/run.sh
EXTRA_DIST += tests/integration/rewrite-debian/run.sh tests/bench/rewrite.sh

# libFuzzer harness (needs clang): make fuzz-rewriter CC=clang, then
# ./rewriter-fuzz CORPUS_DIR.  The unit tests run the same target over
# deterministic mutations in every build.
EXTRA_DIST += rewriter/fuzz_main.c
fuzz-rewriter:
	$(CC) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) $(CPPFLAGS) $(CAPSTONE_CFLAGS) \
		-g -O1 -fsanitize=fuzzer,address,undefined -o rewriter-fuzz \
		$(srcdir)/rewriter/fuzz_main.c \
		$(addprefix $(srcdir)/,$(filter %.c,$(librewriter_a_SOURCES))) \
		$(CAPSTONE_LIBS) $(LZMA_LIBS)
.PHONY: fuzz-rewriter
