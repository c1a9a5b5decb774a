// SPDX-License-Identifier: MIT
#define _GNU_SOURCE	/* execvpe-free PATH search: we search ourselves */
/*
 * exitrace record [options] -o FILE -- COMMAND [ARGS...]: run a VMM
 * exitrace did not write, with libexitrace-attach.so preloaded, and record
 * each VM it creates (FILE, FILE.1, ...).  Like strace or rr record, the
 * exit status is COMMAND's (128 + the signal that killed it).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define LIB_NAME "libexitrace-attach.so"

static bool readable(const char *path)
{
	return access(path, R_OK) == 0;
}

/*
 * The interposer: $EXITRACE_ATTACH_LIB, else next to this binary, else in
 * the build tree (tools/../attach/), else the install libdir.
 */
static bool find_lib(char *out, size_t size)
{
	const char *env = getenv("EXITRACE_ATTACH_LIB");
	if (env && *env) {
		snprintf(out, size, "%s", env);
		return readable(out);
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		char *dir = dirname(self);
		snprintf(out, size, "%s/%s", dir, LIB_NAME);
		if (readable(out))
			return true;
		snprintf(out, size, "%s/../attach/%s", dir, LIB_NAME);
		if (readable(out))
			return true;
	}
#ifdef XT_LIBDIR
	snprintf(out, size, "%s/%s", XT_LIBDIR, LIB_NAME);
	if (readable(out))
		return true;
#endif
	return false;
}

/*
 * Does argument arg name file path: as a whole, or as a value in QEMU's
 * spelling (-kernel=FILE, -drive file=FILE,format=raw)?
 */
static bool names_file(const char *arg, const char *path)
{
	if (cli_same_file(arg, path))
		return true;
	char *copy = strdup(arg), *save = NULL;
	bool found = false;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !found; t = strtok_r(NULL, ",", &save)) {
		const char *eq = strchr(t, '=');
		found = eq && eq[1] && cli_same_file(eq + 1, path);
	}
	free(copy);
	return found;
}

static bool executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* COMMAND as execvp() would find it, for the static-binary check. */
static bool find_command(const char *cmd, char *out, size_t size)
{
	if (!*cmd)
		return false;
	if (strchr(cmd, '/')) {
		snprintf(out, size, "%s", cmd);
		return executable_file(out);
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		snprintf(out, size, "%.*s/%s", (int)len, len ? path : ".", cmd);
		if (executable_file(out))
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

/*
 * Is path an ELF executable without a program interpreter?  The dynamic
 * loader is what honours LD_PRELOAD, so a static VMM would run unrecorded.
 */
static bool is_static_elf(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	Elf64_Ehdr eh;
	bool stat_elf = false;
	if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
		stat_elf = true;
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph))
				break;
			if (ph.p_type == PT_INTERP)
				stat_elf = false;
		}
	}
	close(fd);
	return stat_elf;
}

/* The traces this run wrote: FILE, FILE.1, ... whose header names our run id. */
static unsigned count_traces(const char *output, const char *run_id, bool quiet)
{
	unsigned n = 0;
	for (unsigned i = 0;; i++) {
		char path[PATH_MAX + 16];
		if (i)
			snprintf(path, sizeof(path), "%s.%u", output, i);
		else
			snprintf(path, sizeof(path), "%s", output);
		struct xt_reader *r;
		struct xt_error err = { 0 };
		if (xt_reader_open(&r, path, &err))
			break;
		const struct xt_header *h = xt_reader_header(r);
		const char *run = xt_header_extra(h, "attach.run");
		bool ours = run && !strcmp(run, run_id);
		if (ours) {
			uint64_t steps = 0;
			xt_reader_count_steps(r, &steps);
			if (!quiet)
				fprintf(stderr, "exitrace record: %s: %" PRIu64 " steps, %u vCPU%s%s\n", path, steps,
					h->vm.n_vcpus, h->vm.n_vcpus == 1 ? "" : "s",
					xt_reader_truncated(r) ? " (truncated)" : "");
			n++;
		}
		xt_reader_close(r);
		if (!ours)
			break;
	}
	return n;
}

/*
 * Why FILE cannot be written, or NULL: checked before COMMAND runs, since
 * the library finds out only when the VMM creates its first VM, after which
 * the run goes on unrecorded and ends with COMMAND's status, as if all were
 * well.  Nothing is created or truncated here (COMMAND may create no VM).
 */
static const char *output_problem(const char *path, char *why, size_t size)
{
	struct stat st;
	if (!*path)
		return "-o needs a file name, not ''";
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			snprintf(why, size, "cannot write to %s: it is a directory", path);
		else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
			snprintf(why, size, "cannot write to %s: it is not a regular file", path);
		else if (access(path, W_OK) < 0)
			snprintf(why, size, "cannot write to %s: %s", path, strerror(errno));
		else
			return NULL;
		return why;
	}
	if (errno != ENOENT) {
		snprintf(why, size, "cannot write to %s: %s", path, strerror(errno));
		return why;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	const char *d = dirname(dir);
	if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode) || access(d, W_OK | X_OK) < 0) {
		snprintf(why, size, "cannot create %s: %s", path,
			 stat(d, &st) < 0 ? strerror(errno) : !S_ISDIR(st.st_mode) ? strerror(ENOTDIR) : strerror(EACCES));
		return why;
	}
	return NULL;
}

static int usage(const char *fmt, const char *arg)
{
	return cli_usage_error("record", fmt, arg);
}

int cmd_record_attach(int argc, char **argv)
{
	const char *output = NULL, *mem_limit = NULL, *at_port = NULL, *after = NULL, *memory = NULL;
	bool quiet = false, stale = true, borrow = true, step = false, block_irq = false, time = false;
	int i;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
			output = argv[++i];
		else if (!strcmp(argv[i], "--memory-limit") && i + 1 < argc)
			mem_limit = argv[++i];
		else if (!strcmp(argv[i], "--memory") && i + 1 < argc)
			memory = argv[++i];
		else if (!strcmp(argv[i], "--no-stale"))
			stale = false;
		else if (!strcmp(argv[i], "--step"))
			step = true;
		else if (!strcmp(argv[i], "--step-at-port") && i + 1 < argc)
			step = true, at_port = argv[++i];
		else if (!strcmp(argv[i], "--step-after") && i + 1 < argc)
			step = true, after = argv[++i];
		else if (!strcmp(argv[i], "--block-irq"))
			block_irq = true;
		else if (!strcmp(argv[i], "--borrow-sync-regs"))
			borrow = true;	/* the default; kept for the command lines that said it */
		else if (!strcmp(argv[i], "--no-borrow-sync-regs"))
			borrow = false;
		else if (!strcmp(argv[i], "--capture") && i + 1 < argc && !strcmp(argv[i + 1], "time"))
			time = true, i++;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			quiet = true;
		else
			return usage("with -- COMMAND: unknown option '%s' (attach mode takes -o, --memory, --memory-limit, "
				     "--no-stale, --step, --step-at-port, --step-after, --block-irq, --no-borrow-sync-regs, "
				     "--capture time, --quiet)", argv[i]);
	}
	if (i + 1 >= argc)
		return usage("-- needs a COMMAND to run%s", "");
	if (!output)
		return usage("-o FILE is needed%s", "");
	if (!strcmp(output, "-"))
		return usage("-o - is for record of one guest: a VMM's VMs go to FILE, FILE.1, ...%s", "");
	if (block_irq && !step)
		return usage("--block-irq is for --step%s", "");
	uint64_t port = 0, steps = 0;
	if (at_port && (!cli_parse_u64(at_port, &port) || port > 0xffff))
		return usage("--step-at-port needs an I/O port (0 to 0xffff), not '%s'", at_port);
	if (after && (!cli_parse_u64(after, &steps) || !steps))
		return usage("--step-after needs a number of steps (1 or more), not '%s'", after);
	if (at_port && after)
		return usage("--step-at-port and --step-after: one or the other%s", "");
	if (memory && strcmp(memory, "none") && strcmp(memory, "hash") && strcmp(memory, "full"))
		return usage("--memory is none, hash or full, not '%s'", memory);
	uint64_t limit = 0;
	if (mem_limit && !cli_parse_u64(mem_limit, &limit))
		return usage("--memory-limit needs a number of bytes, not '%s'", mem_limit);
	char **cmd = argv + i + 1;

	char lib[PATH_MAX], exe[PATH_MAX], out_abs[PATH_MAX];
	if (!find_lib(lib, sizeof(lib)))
		return cli_error("record", "cannot find %s next to exitrace, in the build tree or in the "
			  "install libdir (set EXITRACE_ATTACH_LIB)", LIB_NAME);
	if (!find_command(cmd[0], exe, sizeof(exe)))
		return cli_error("record", "%s: command not found", cmd[0]);
	if (is_static_elf(exe))
		return cli_error("record", "%s is statically linked: LD_PRELOAD cannot reach its ioctls, "
			  "so exitrace cannot record it", exe);
	char why[PATH_MAX + 64];
	if (output_problem(output, why, sizeof(why)))
		return cli_error("record", "%s", output_problem(output, why, sizeof(why)));
	/* the VMM's own files: its binary, a kernel or disk image named in its arguments */
	if (cli_same_file(output, exe))
		return usage("-o %s would overwrite COMMAND", output);
	for (char **a = cmd + 1; *a; a++)
		if (names_file(*a, output))
			return usage("-o %s would overwrite a file COMMAND is given", output);
	if (output[0] == '/' || !getcwd(out_abs, sizeof(out_abs)))
		snprintf(out_abs, sizeof(out_abs), "%s", output);
	else
		snprintf(out_abs + strlen(out_abs), sizeof(out_abs) - strlen(out_abs), "/%s", output);

	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char run_id[64], limit_s[32], port_s[32], after_s[32];
	snprintf(run_id, sizeof(run_id), "%d-%lld.%09ld", (int)getpid(), (long long)now.tv_sec, now.tv_nsec);
	const char *old = getenv("LD_PRELOAD");
	char *preload = malloc(strlen(lib) + (old ? strlen(old) : 0) + 2);
	if (!preload)
		return cli_error("record", "out of memory");
	sprintf(preload, "%s%s%s", lib, old && *old ? " " : "", old && *old ? old : "");

	/* Ctrl-C reaches COMMAND (our process group); we stay to report and pass its status on */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid_t pid = fork();
	if (pid < 0)
		return cli_error("record", "fork: %s", strerror(errno));
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigaction(SIGXFSZ, &cli_old_xfsz, NULL);	/* main() ignores it: COMMAND gets what exitrace got */
		setenv("EXITRACE_ATTACH_OUTPUT", out_abs, 1);
		setenv("EXITRACE_ATTACH_RUN", run_id, 1);
		setenv("EXITRACE_ATTACH_PRELOAD", old ? old : "", 1);
		if (mem_limit) {
			snprintf(limit_s, sizeof(limit_s), "%" PRIu64, limit);
			setenv("EXITRACE_ATTACH_MEMORY_LIMIT", limit_s, 1);
		}
		if (memory)
			setenv("EXITRACE_ATTACH_MEMORY", memory, 1);
		if (!stale)
			setenv("EXITRACE_ATTACH_STALE", "0", 1);
		if (!borrow)
			setenv("EXITRACE_ATTACH_BORROW_SYNC_REGS", "0", 1);
		if (step)
			setenv("EXITRACE_ATTACH_STEP", block_irq ? "2" : "1", 1);
		/* as parsed here, in decimal: the library reads no other spelling */
		if (at_port) {
			snprintf(port_s, sizeof(port_s), "%" PRIu64, port);
			setenv("EXITRACE_ATTACH_STEP_AT_PORT", port_s, 1);
		}
		if (after) {
			snprintf(after_s, sizeof(after_s), "%" PRIu64, steps);
			setenv("EXITRACE_ATTACH_STEP_AFTER", after_s, 1);
		}
		if (time)
			setenv("EXITRACE_ATTACH_TIME", "1", 1);
		setenv("LD_PRELOAD", preload, 1);
		execv(exe, cmd);
		fprintf(stderr, "exitrace record: %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	free(preload);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	unsigned n = count_traces(out_abs, run_id, quiet);
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (!quiet) {
		if (WIFEXITED(status))
			fprintf(stderr, "exitrace record: %s exited with status %d; %u trace%s written\n", cmd[0],
				rc, n, n == 1 ? "" : "s");
		else
			fprintf(stderr, "exitrace record: %s was killed by signal %d; %u trace%s written\n",
				cmd[0], WTERMSIG(status), n, n == 1 ? "" : "s");
	}
	return rc;
}

/* `record` with a -- COMMAND is attach mode; without, the built-in VMM. */
int cmd_record_any(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return cmd_record_attach(argc, argv);
	return cmd_record(argc, argv);
}
