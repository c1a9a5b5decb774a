// SPDX-License-Identifier: MIT
/*
 * Replays fuzz inputs as an ordinary test: every file of the directories
 * (or the files) named on the command line goes through the same
 * LLVMFuzzerTestOneInput the fuzzer runs, under whatever sanitizer this
 * build uses.  A directory that does not exist is skipped (crashers/ only
 * exists once the fuzzer has found something), but replaying nothing at all
 * fails, so a wrong path cannot pass unnoticed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "corpus_driver: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t size = (size_t)st.st_size;
	/* one spare byte: malloc(0) may return NULL */
	uint8_t *buf = malloc(size + 1);
	size_t got = 0;
	while (buf && got < size) {
		ssize_t k = read(fd, buf + got, size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (!buf || got != size) {
		fprintf(stderr, "corpus_driver: cannot read %s\n", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	return 0;
}

static int skip_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Replays the regular files of dir in name order; returns how many, or -1. */
static long replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, skip_hidden, alphasort);
	if (n < 0) {
		fprintf(stderr, "corpus_driver: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	long count = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				count = -1;
			else if (count >= 0)
				count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	long total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			if (errno != ENOENT) {
				fprintf(stderr, "corpus_driver: %s: %s\n", argv[i], strerror(errno));
				return 1;
			}
			printf("%s: not there, skipped\n", argv[i]);
			continue;
		}
		long n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) == 0;
		if (n < 0)
			return 1;
		printf("%s: %ld inputs replayed\n", argv[i], n);
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "corpus_driver: no inputs replayed\n");
		return 1;
	}
	return 0;
}
