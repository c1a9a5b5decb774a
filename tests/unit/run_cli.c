// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_cli.h"
#include "test_util.h"

static void slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open %s", path);
	ssize_t n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
}

int run_cli(const struct run_cli *c, const char *prog, const char *a1, const char *a2, const char *a3,
	    const char *a4)
{
	const char *argv[] = { prog, a1, a2, a3, a4, NULL };
	return run_cli_argv(c, argv);
}

int run_cli_argv(const struct run_cli *c, const char *const *argv)
{
	char o[320], e[320];
	snprintf(o, sizeof(o), "%s/.out", c->dir);
	snprintf(e, sizeof(e), "%s/.err", c->dir);
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fo, 1);
		dup2(fe, 2);
		alarm(c->alarm);	/* kept across exec */
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status;
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status), "%s %s %s exited (status 0x%x%s)", argv[0], argv[1] ? argv[1] : "",
		    argv[1] && argv[2] ? argv[2] : "", status, c->alarm ? ": SIGALRM is a hang" : "");
	slurp(o, c->out, c->out_size);
	slurp(e, c->err, c->err_size);
	return WEXITSTATUS(status);
}

int run_cli_va(const struct run_cli *c, const char *prog, const char *first, va_list ap)
{
	const char *argv[32] = { prog, first };
	int n = 2;
	while (first && n < 31 && (argv[n] = va_arg(ap, const char *)))
		n++;
	argv[n] = NULL;
	return run_cli_argv(c, argv);
}
