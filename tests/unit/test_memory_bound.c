// SPDX-License-Identifier: MIT
/*
 * Memory in proportion to what a command must hold, not to what a header
 * declares: a trace of a few KiB whose header declares a 500 MiB memory
 * region (of zeros, and of other bytes) is read by info, dump, stat and
 * diff (of the trace with itself) in at most 64 MiB (DESIGN's rule: 64 MiB
 * + 2 x what the command must hold, and these hold none of the region),
 * measured as each child's peak RSS.  The reader hands a region it does
 * not hold out again, byte for byte (xt_reader_load_memory); diff tells two
 * such regions apart by their digests.  The rest of a header (a 100 MiB
 * text here) may take 16 MiB at most.  The same through a pipe ("-"):
 * the stream is copied to a temporary file, never held.  --symbols FILE is
 * read once, and only if it starts as an ELF.  argv[1]: the exitrace
 * binary, argv[2]: a guest ELF with symbols.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "forge.h"
#include "test_util.h"

#define MiB (1u << 20)
#define BIG (500ull * MiB)
#define GPA 0x10000000ull

#define LIMIT fg_rss_limit(0)	/* these commands hold nothing of the region */

static const char *exe;
static char dir[] = "/tmp/xt-membound-XXXXXX";

/* A file in the test's directory; each name asked for keeps its own buffer. */
static const char *path_in(const char *name)
{
	static char names[16][128];
	static size_t n;
	TEST_ASSERT(n < 16, "too many names");
	snprintf(names[n], sizeof(names[n]), "%s/%s", dir, name);
	return names[n++];
}

static void write_trace(const char *path)
{
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	struct xt_writer *w;
	struct xt_error err = { 0 };
	TEST_ASSERT(xt_writer_open(&w, path, &fh.h, NULL, &err) == 0, "open: %s", err.msg);
	struct fx_rng rng = { 5 };
	struct xt_state s = fh.initial;
	for (uint64_t i = 1; i <= 200; i++) {
		fx_step(&rng, &s, i, XT_CAPTURE_DEFAULT, true);
		TEST_ASSERT(xt_writer_step(w, &s) == 0, "step");
	}
	struct xt_footer foot = { .end_reason = XT_END_MAX_STEPS };
	TEST_ASSERT(xt_writer_close(w, &foot, &err) == 0, "close: %s", err.msg);
}

static void bounded(const char *trace, const char *cmd, const char *second)
{
	const char *args[] = { cmd, trace, second, NULL };
	char what[300];
	snprintf(what, sizeof(what), "%-5s %s", cmd, strrchr(trace, '/') + 1);
	fg_run_within(exe, args, 0, LIMIT, what);
}

/* The same, the trace on standard input through a pipe (the shell's peak counts its children's). */
static void bounded_stream(const char *trace, const char *cmd)
{
	char line[600], what[300];
	snprintf(line, sizeof(line), "cat %s | %s %s - >/dev/null", trace, exe, cmd);
	const char *args[] = { "-c", line, NULL };
	snprintf(what, sizeof(what), "%-5s - < %s", cmd, strrchr(trace, '/') + 1);
	fg_run_within("/bin/sh", args, 0, LIMIT, what);
}

int main(int argc, char **argv)
{
	TEST_ASSERT(argc > 2, "usage: test_memory_bound EXITRACE GUEST_ELF");
	exe = argv[1];
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	const char *orig = path_in("orig.xtr");
	write_trace(orig);

	/* a region the reader does not hold comes back byte for byte */
	const uint64_t small = 3 * MiB + 5;
	fg_copy_with_region(orig, path_in("small-5c.xtr"), GPA, small, 0x5c);
	fg_copy_with_region(orig, path_in("small-5d.xtr"), GPA, small, 0x5d);
	struct xt_reader *r;
	struct xt_error err = { 0 };
	TEST_ASSERT(xt_reader_open(&r, path_in("small-5c.xtr"), &err) == 0, "open: %s", err.msg);
	const struct xt_vm_config *vm = &xt_reader_header(r)->vm;
	const struct xt_mem_region *m = &vm->memory[vm->n_memory - 1];
	TEST_ASSERT(m->gpa == GPA && m->size == small && !m->data, "the region is not held");
	uint8_t *mem = calloc(1, vm->mem_size + 1);	/* one byte more, to see nothing written past */
	TEST_ASSERT(mem, "calloc");
	TEST_EQ_U64(0, xt_reader_load_memory(r, mem, vm->mem_size), "load: %s", xt_reader_error(r)->msg);
	for (uint64_t i = 0; i < small; i++)
		TEST_ASSERT(mem[GPA + i] == 0x5c, "byte %" PRIu64 " of the region", i);
	TEST_EQ_U64(0, mem[GPA + small], "nothing past the region");
	for (size_t i = 0; i + 1 < vm->n_memory; i++)
		TEST_ASSERT(!memcmp(mem + vm->memory[i].gpa, vm->memory[i].data, vm->memory[i].size),
			    "region %zu, which is held", i);
	TEST_ASSERT(xt_reader_load_memory(r, mem, GPA + small - 1) == -ERANGE, "a region past the memory");
	free(mem);
	xt_reader_close(r);

	/* diff: the same region is the same, another is named */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s diff %s %s >/dev/null 2>&1", exe, path_in("small-5c.xtr"),
		 path_in("small-5c.xtr"));
	TEST_EQ_U64(0, WEXITSTATUS(system(cmd)), "diff of a trace with itself");
	snprintf(cmd, sizeof(cmd), "%s diff %s %s 2>&1 | grep -q 'memory at 0x10000000'", exe,
		 path_in("small-5c.xtr"), path_in("small-5d.xtr"));
	TEST_EQ_U64(0, WEXITSTATUS(system(cmd)), "diff names the region that differs");

	/* 500 MiB declared by a few KiB: the readers stay within the bound */
	const char *zeros = path_in("big-zeros.xtr"), *bytes = path_in("big-a5.xtr");
	fg_copy_with_region(orig, zeros, GPA, BIG, 0);
	fg_copy_with_region(orig, bytes, GPA, BIG, 0xa5);
	struct stat st;
	TEST_ASSERT(stat(bytes, &st) == 0 && st.st_size < 256 * 1024, "a small file (%lld bytes)",
		    (long long)st.st_size);
	printf("traces of %lld bytes declaring a %llu MiB region\n", (long long)st.st_size, BIG / MiB);
	for (int i = 0; i < 2; i++) {
		const char *t = i ? bytes : zeros;
		bounded(t, "info", NULL);
		bounded(t, "dump", NULL);
		bounded(t, "stat", NULL);
		bounded(t, "diff", t);
		bounded_stream(t, "info");
		bounded_stream(t, "dump");
		bounded_stream(t, "stat");
	}
	/*
	 * What is not a long byte string counts against the 16 MiB a header
	 * may hold besides them: a 100 MiB text is refused early, cheaply.
	 */
	struct fg_trace t;
	fg_split(&t, orig);
	fg_add_text(&t, 100ull * MiB);
	const char *text = path_in("big-text.xtr");
	fg_write_all(&t, text);
	fg_free(&t);
	TEST_ASSERT(xt_reader_open(&r, text, &err) == -EFBIG, "a 100 MiB text in the header is refused");
	TEST_ASSERT(strstr(err.msg, "more than 16 MiB besides guest memory and image"), "%s", err.msg);
	const char *args[] = { "info", text, NULL };
	fg_run_within(exe, args, 2, LIMIT, "info  big-text.xtr, refused");

	/*
	 * --symbols FILE: a 1 GiB sparse file of zeros was read whole (1 GiB,
	 * seconds) to be refused as not ELF; now its first bytes decide.  And
	 * a 64 MiB ELF (a guest's, padded) is held once, not read and copied.
	 */
	const char *sparse = path_in("sparse.elf");
	int fd = open(sparse, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	TEST_ASSERT(fd >= 0 && ftruncate(fd, 1ull << 30) == 0 && close(fd) == 0, "a sparse file");
	const char *sym_args[] = { "dump", orig, "--symbols", sparse, NULL };
	fg_run_within(exe, sym_args, 2, LIMIT, "dump --symbols 1 GiB of zeros, refused");
	const char *padded = path_in("padded.elf");
	snprintf(cmd, sizeof(cmd), "cp %s %s && truncate -s 64M %s", argv[2], padded, padded);
	TEST_EQ_U64(0, WEXITSTATUS(system(cmd)), "%s", cmd);
	sym_args[3] = padded;
	fg_run_within(exe, sym_args, 0, fg_rss_limit(64 * MiB) - 64 * MiB, "dump --symbols a 64 MiB ELF, held once");

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	TEST_EQ_U64(0, system(cmd), "clean up");
	return 0;
}
