// SPDX-License-Identifier: MIT
/*
 * The command line against hostile files, as a tester on a shared machine
 * would throw them (no KVM needed):
 *
 * - a trace whose strings (kernel release, CPU name, module parameter,
 *   command line, image name, note, kernel event, console, end detail)
 *   hold terminal escapes, C1 controls and newlines that would forge a TAP
 *   line: info, dump, diff and stat print none of them raw, and their JSON
 *   keeps them exact;
 * - a file named to forge a TAP line, in a directory check walks;
 * - a FIFO no process writes, where a trace or a guest image is read:
 *   every command exits 2 at once (a trace: it reads as empty) instead of
 *   waiting in open() for a writer;
 * - xt_open_output(), what record -o, replay -o and --console open: a FIFO
 *   no process reads, a symbolic or hard link planted in a sticky directory, a
 *   second writer of a file being written, a directory, /dev/null.
 *
 * Every exitrace run has an alarm: a regression that blocks fails, not hangs.
 *
 * usage: test_hostile_files EXITRACE
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "run_cli.h"
#include "test_util.h"

#define RUN_SECONDS 20

static char dir[] = "/tmp/xt-hostile-XXXXXX";
static const char *exitrace;
static char out[1 << 17], err[1 << 13];

/* the strings of the hostile trace */
#define EVIL_RELEASE "6.1\x1b]0;pwned\x07"
#define EVIL_CPU "CPU \x1b[2J\xc2\x9b" "31m"
#define EVIL_PARAM "Y\nok 2 - forged.xtr"
#define EVIL_NOTE "\x1b[31mred\nok 3 - note"
#define EVIL_DETAIL "max\nok 2 - forged.xtr\x1b[5m"
#define EVIL_CONSOLE "\x1b[H\xc2\x9b" "2J\xe2\x80\xae"

static const char *tmp(const char *name)
{
	return test_path(dir, name);
}

/* Run a program with up to 4 arguments under an alarm; stdout and stderr are kept. */
static int run(const char *prog, const char *a1, const char *a2, const char *a3, const char *a4)
{
	const struct run_cli c = { .dir = dir, .alarm = RUN_SECONDS, .out = out, .out_size = sizeof(out),
				   .err = err, .err_size = sizeof(err) };
	return run_cli(&c, prog, a1, a2, a3, a4);
}

/*
 * Text output a terminal can show as it is: no byte below 0x20 but the
 * newline, no DEL, no C1 control as UTF-8, and no line that is not ours
 * (a line starting "ok " in what is not TAP, or a second TAP "ok").
 */
static void terminal_safe(const char *what, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		TEST_ASSERT(*p >= 0x20 || *p == '\n', "%s: control byte 0x%02x at %zu", what, *p,
			    (size_t)(p - (const unsigned char *)text));
		TEST_ASSERT(*p != 0x7f, "%s: DEL", what);
		TEST_ASSERT(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f), "%s: a C1 control", what);
		TEST_ASSERT(!(p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xae), "%s: a bidi override", what);
	}
	TEST_ASSERT(!strstr(text, "\nok 2 - forged") && !strstr(text, "\nok 3 - note") &&
		    strncmp(text, "ok ", 3), "%s: no forged line:\n%s", what, text);
}

/* 20 steps of a plain loop; hostile: with the evil strings in the header, events and footer. */
static void write_trace(const char *path, bool hostile)
{
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	if (hostile) {
		fh.h.host.kernel_release = EVIL_RELEASE;
		fh.h.host.cpu_model_name = EVIL_CPU;
		fh.params[1].value = EVIL_PARAM;
		fh.argv[1] = "rec\x1b[8m";
		fh.h.image.name = "img\nok 4 - image";
	}
	struct xt_writer *w;
	struct xt_error e = { 0 };
	TEST_EQ_U64(0, xt_writer_open(&w, path, &fh.h, NULL, &e), "open: %s", e.msg);
	struct xt_state s = fh.initial;
	struct fx_rng rng = { 7 };
	for (uint64_t k = 1; k <= 20; k++) {
		fx_step(&rng, &s, k, XT_CAPTURE_DEFAULT, false);
		TEST_EQ_U64(0, xt_writer_step(w, &s), "step");
		if (hostile && k == 5) {
			struct xt_event ev = { .kind = XT_EV_NOTE, .step = k };
			ev.note.text = EVIL_NOTE;
			TEST_EQ_U64(0, xt_writer_event(w, &ev), "note");
			struct xt_ktrace_field f[1] = { { "dm\x1b[1m", "Fixed\n\x1b[7m", 0 } };
			ev = (struct xt_event){ .kind = XT_EV_KTRACE, .step = k };
			ev.ktrace.name = "kvm:x\x1b[1m";
			ev.ktrace.fields = f;
			ev.ktrace.n_fields = 1;
			TEST_EQ_U64(0, xt_writer_event(w, &ev), "ktrace");
			ev = (struct xt_event){ .kind = XT_EV_CONSOLE, .step = k };
			ev.console.data = (const uint8_t *)EVIL_CONSOLE;
			ev.console.len = sizeof(EVIL_CONSOLE) - 1;
			TEST_EQ_U64(0, xt_writer_event(w, &ev), "console");
		}
	}
	struct xt_footer f = { .end_reason = XT_END_MAX_STEPS, .end_detail = hostile ? EVIL_DETAIL : NULL };
	TEST_EQ_U64(0, xt_writer_close(w, &f, &e), "close: %s", e.msg);
}

/* Keep the JSON in out for json_check() (running python3 takes out). */
static void json_keep(void)
{
	char path[320];
	snprintf(path, sizeof(path), "%s/out.json", dir);
	FILE *f = fopen(path, "w");
	TEST_ASSERT(f && fputs(out, f) >= 0 && fclose(f) == 0, "write %s", path);
}

/* python3 checks the JSON kept with the expression expr over d (a list of lines' values, for dump). */
static void json_check(const char *what, const char *expr, const char *want)
{
	char path[320], prog[1024];
	snprintf(path, sizeof(path), "%s/out.json", dir);
	snprintf(prog, sizeof(prog),
		 "import json,sys\n"
		 "t=open(sys.argv[1]).read()\n"
		 "d=[json.loads(l) for l in t.splitlines()] if t.count('\\n')>1 else json.loads(t)\n"
		 "got=%s\n"
		 "assert got==sys.argv[2], repr(got)+' != '+repr(sys.argv[2])\n", expr);
	int rc = run("/usr/bin/python3", "-c", prog, path, want);
	TEST_EQ_U64(0, rc, "%s: the JSON holds the string exactly: %s", what, err);
}

static void hostile_trace(void)
{
	const char *evil = tmp("evil.xtr"), *plain = tmp("plain.xtr");
	write_trace(evil, true);
	write_trace(plain, false);

	TEST_EQ_U64(0, run(exitrace, "info", evil, NULL, NULL), "info: %s", err);
	terminal_safe("info", out);
	TEST_CONTAINS(out, "Linux 6.1\\x1b]0;pwned\\x07 ", "the kernel release, escaped");
	TEST_CONTAINS(out, "CPU \\x1b[2J\\u009b31m", "the CPU's name, escaped");
	TEST_CONTAINS(out, "enable_apicv=Y\\nok 2 - forged.xtr", "a module parameter, escaped");
	TEST_CONTAINS(out, "(max\\nok 2 - forged.xtr\\x1b[5m)", "the end detail, escaped");
	TEST_CONTAINS(out, "rec\\x1b[8m", "the command line, escaped");
	TEST_CONTAINS(out, "img\\nok 4 - image", "the image's name, escaped");

	TEST_EQ_U64(0, run(exitrace, "dump", evil, NULL, NULL), "dump: %s", err);
	terminal_safe("dump", out);
	TEST_CONTAINS(out, "note \\x1b[31mred\\nok 3 - note\n", "a note, escaped");
	TEST_CONTAINS(out, "kvm:x\\x1b[1m dm\\x1b[1m=Fixed\\n\\x1b[7m", "a kernel event, escaped");
	TEST_CONTAINS(out, "\"\\x1b[H\\u009b2J\\u202e\"", "console output, escaped");

	TEST_EQ_U64(0, run(exitrace, "stat", evil, NULL, NULL), "stat: %s", err);
	terminal_safe("stat", out);

	run(exitrace, "diff", evil, plain, NULL);
	terminal_safe("diff", out);
	TEST_CONTAINS(out, "kernel release 6.1\\x1b]0;pwned\\x07 (A) vs 6.1.0-test (B)", "the host line, escaped");
	TEST_CONTAINS(out, "A ends max-steps (max\\nok 2 - forged.xtr\\x1b[5m)", "the end, escaped");

	/* JSON: exact */
	TEST_EQ_U64(0, run(exitrace, "info", "--json", evil, NULL), "info --json: %s", err);
	json_keep();
	json_check("info --json", "d['host']['kernel_release']", EVIL_RELEASE);
	json_check("info --json", "d['host']['cpu_model_name']", EVIL_CPU);
	json_check("info --json", "d['end']['detail']", EVIL_DETAIL);
	TEST_EQ_U64(0, run(exitrace, "dump", "--json", evil, NULL), "dump --json: %s", err);
	json_keep();
	json_check("dump --json", "[x['note'] for x in d if x.get('event')=='note'][0]", EVIL_NOTE);
	run(exitrace, "diff", "--json", evil, plain);
	json_keep();
	json_check("diff --json", "d['summary']['a']['end_detail']", EVIL_DETAIL);

	/* export: the perfetto JSON parses, its note there; the CSV has 20 rows and a header, each of 9 fields */
	TEST_EQ_U64(0, run(exitrace, "export", evil, "--format", "perfetto"), "export perfetto: %s", err);
	json_keep();
	const char *perfetto = "import json,sys\n"
			       "d=json.load(open(sys.argv[1]))\n"
			       "n=[e for e in d['traceEvents'] if e.get('name')=='note']\n"
			       "assert len(n)==1 and 'red' in json.dumps(n[0]['args']), n\n";
	TEST_EQ_U64(0, run("/usr/bin/python3", "-c", perfetto, tmp("out.json"), NULL), "export perfetto parses: %s", err);
	TEST_EQ_U64(0, run(exitrace, "export", evil, "--format", "csv"), "export csv: %s", err);
	terminal_safe("export csv", out);
	json_keep();
	const char *csv = "import csv,sys\n"
			  "r=list(csv.reader(open(sys.argv[1], newline='')))\n"
			  "assert len(r)==21 and all(len(x)==9 for x in r), [len(x) for x in r]\n";
	TEST_EQ_U64(0, run("/usr/bin/python3", "-c", csv, tmp("out.json"), NULL), "export csv rows: %s", err);
}

/* check: a file whose name holds a newline and a TAP line */
static void forged_name(void)
{
	const char *d = tmp("names");
	TEST_ASSERT(mkdir(d, 0700) == 0, "mkdir");
	char path[600];
	snprintf(path, sizeof(path), "%s/x\nok 2 - forged.xtr", d);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	TEST_ASSERT(fd >= 0 && write(fd, "not a trace", 11) == 11, "write %s", path);
	close(fd);
	TEST_EQ_U64(2, run(exitrace, "check", d, NULL, NULL), "check: %s", err);
	TEST_CONTAINS(out, "1..1\nnot ok 1 - x\\nok 2 - forged.xtr: cannot replay: ", "the name escaped");
	terminal_safe("check", out);
	terminal_safe("check's errors", err);
}

/*
 * Every reader of a trace refuses a FIFO no process writes at once, as an
 * empty stream (the alarm in run() catches a wait); a guest image is not
 * read from a FIFO at all.
 */
static void fifo_inputs(void)
{
	const char *d = tmp("fifos");
	TEST_ASSERT(mkdir(d, 0700) == 0, "mkdir");
	char fifo[600];
	snprintf(fifo, sizeof(fifo), "%s/pipe.xtr", d);
	TEST_ASSERT(mkfifo(fifo, 0600) == 0, "mkfifo");
	const char *plain = tmp("plain.xtr");
	static const char *const one[] = { "info", "dump", "stat", "replay" };
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		TEST_EQ_U64(2, run(exitrace, one[i], fifo, NULL, NULL), "%s FIFO", one[i]);
		TEST_CONTAINS(err, "is empty", "%s says why", one[i]);
	}
	TEST_EQ_U64(2, run(exitrace, "diff", plain, fifo, NULL), "diff with a FIFO");
	TEST_CONTAINS(err, "is empty", "diff says why");
	TEST_EQ_U64(2, run(exitrace, "check", d, NULL, NULL), "check of a directory with a FIFO");
	TEST_CONTAINS(out, "not ok 1 - pipe.xtr: cannot replay: ", "one TAP line for it");
	TEST_CONTAINS(out, "is empty", "saying why");
	TEST_EQ_U64(2, run(exitrace, "record", fifo, "-o", tmp("from-fifo.xtr")), "record a FIFO as the guest");
	TEST_CONTAINS(err, "is not a regular file", "record says why");

	struct xt_reader *r;
	struct xt_error e = { 0 };
	alarm(RUN_SECONDS);
	TEST_ASSERT(xt_reader_open(&r, fifo, &e) < 0, "the library refuses a FIFO too");
	alarm(0);
}

/* xt_open_output(), what every output of exitrace is opened with */
static void outputs(void)
{
	struct xt_error e = { 0 };
	alarm(RUN_SECONDS);

	/* a FIFO nobody reads: refused, not waited on; one with a reader: written as a stream */
	const char *fifo = tmp("out.fifo");
	TEST_ASSERT(mkfifo(fifo, 0600) == 0, "mkfifo");
	TEST_EQ_U64((uint64_t)-ENXIO, xt_open_output(fifo, &e), "a FIFO without a reader");
	TEST_CONTAINS(e.msg, "a FIFO that no process reads", "says so");
	int rd = open(fifo, O_RDONLY | O_NONBLOCK);
	TEST_ASSERT(rd >= 0, "reader");
	int fd = xt_open_output(fifo, &e);
	TEST_ASSERT(fd >= 0, "a FIFO with a reader: %s", e.msg);
	TEST_ASSERT(!(fcntl(fd, F_GETFL) & O_NONBLOCK), "the descriptor blocks, as writes expect");
	TEST_EQ_U64(3, write(fd, "abc", 3), "written");
	close(fd);
	close(rd);

	/* a symbolic link in a sticky, world-writable directory: not followed, its target untouched */
	const char *sticky = tmp("sticky"), *target = tmp("target"), *planted = tmp("sticky/out.xtr");
	TEST_ASSERT(mkdir(sticky, 0777) == 0 && chmod(sticky, 01777) == 0, "sticky dir");
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	TEST_ASSERT(fd >= 0 && write(fd, "keep", 4) == 4, "target");
	close(fd);
	TEST_ASSERT(symlink(target, planted) == 0, "symlink");
	TEST_EQ_U64((uint64_t)-ELOOP, xt_open_output(planted, &e), "a planted symlink");
	TEST_CONTAINS(e.msg, "symbolic link in a directory others can write to", "says so");
	struct stat st;
	TEST_ASSERT(stat(target, &st) == 0 && st.st_size == 4, "the target is not truncated");
	/* nor a hard link planted there */
	const char *hard = tmp("sticky/hard.xtr");
	TEST_ASSERT(link(target, hard) == 0, "link");
	TEST_EQ_U64((uint64_t)-EPERM, xt_open_output(hard, &e), "a planted hard link");
	TEST_CONTAINS(e.msg, "has other hard links: not truncated", "says so");
	TEST_ASSERT(stat(target, &st) == 0 && st.st_size == 4, "the target is not truncated");
	/* nor, as root, a file another user left there (the kernel's fs.protected_regular) */
	if (geteuid() == 0) {
		const char *theirs = tmp("sticky/theirs.xtr");
		fd = open(theirs, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		TEST_ASSERT(fd >= 0 && write(fd, "theirs", 6) == 6 && fchown(fd, 65534, 65534) == 0, "theirs");
		close(fd);
		TEST_EQ_U64((uint64_t)-EPERM, xt_open_output(theirs, &e), "another user's file");
		TEST_CONTAINS(e.msg, "belongs to another user: not truncated", "says so");
		TEST_ASSERT(stat(theirs, &st) == 0 && st.st_size == 6, "not truncated");
	}
	/* a file of our own there, with one name, is ours to overwrite */
	const char *mine = tmp("sticky/mine.xtr");
	fd = open(mine, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	TEST_ASSERT(fd >= 0 && write(fd, "old", 3) == 3, "mine");
	close(fd);
	fd = xt_open_output(mine, &e);
	TEST_ASSERT(fd >= 0, "our own file in a sticky directory: %s", e.msg);
	TEST_ASSERT(fstat(fd, &st) == 0 && st.st_size == 0, "truncated");
	close(fd);
	/* in a directory only its owner writes, a link is the owner's own: followed (as /dev/stdout) */
	const char *own = tmp("own.xtr");
	TEST_ASSERT(symlink(target, own) == 0, "symlink");
	fd = xt_open_output(own, &e);
	TEST_ASSERT(fd >= 0, "a link in a private directory: %s", e.msg);
	close(fd);
	TEST_ASSERT(stat(target, &st) == 0 && st.st_size == 0, "followed and truncated");

	/* a second writer: refused before it truncates */
	const char *busy = tmp("busy.xtr");
	int w1 = xt_open_output(busy, &e);
	TEST_ASSERT(w1 >= 0 && write(w1, "frames", 6) == 6, "first writer: %s", e.msg);
	TEST_EQ_U64((uint64_t)-EBUSY, xt_open_output(busy, &e), "a second writer");
	TEST_CONTAINS(e.msg, "is being written by another exitrace", "says so");
	TEST_ASSERT(stat(busy, &st) == 0 && st.st_size == 6, "the first writer's bytes are kept");
	close(w1);
	int w2 = xt_open_output(busy, &e);
	TEST_ASSERT(w2 >= 0, "once the first is done: %s", e.msg);
	TEST_ASSERT(fstat(w2, &st) == 0 && st.st_size == 0, "truncated then");
	close(w2);

	/* a directory: refused; /dev/null: a stream, written as it is */
	TEST_ASSERT(xt_open_output(dir, &e) < 0, "a directory");
	fd = xt_open_output("/dev/null", &e);
	TEST_ASSERT(fd >= 0, "/dev/null: %s", e.msg);
	close(fd);
	alarm(0);
}

int main(int argc, char **argv)
{
	TEST_ASSERT(argc == 2, "usage: %s EXITRACE", argv[0]);
	exitrace = argv[1];
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	hostile_trace();
	forged_name();
	fifo_inputs();
	outputs();
	printf("ok\n");
	return 0;
}
