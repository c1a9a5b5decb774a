/* SPDX-License-Identifier: MIT */
/*
 * Assertions for exitrace's tests: each failure prints the expression, the
 * place, and both the wanted and the got value.  Exit 77 is meson's "skip".
 */
#ifndef XT_TEST_UTIL_H
#define XT_TEST_UTIL_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XT_TEST_SKIP 77

#define TEST_FAIL(...)                                                         \
	do {                                                                   \
		fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);          \
		fprintf(stderr, __VA_ARGS__);                                  \
		fputc('\n', stderr);                                           \
		exit(1);                                                       \
	} while (0)

#define TEST_ASSERT(e, ...)                                                    \
	do {                                                                   \
		if (!(e)) {                                                    \
			fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #e); \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define TEST_EQ_U64(want, got, ...)                                            \
	do {                                                                   \
		uint64_t w_ = (uint64_t)(want), g_ = (uint64_t)(got);          \
		if (w_ != g_) {                                                \
			fprintf(stderr, "%s:%d: FAIL: %s == %s: wanted 0x%" PRIx64 " (%" PRIu64 \
				"), got 0x%" PRIx64 " (%" PRIu64 "): ", __FILE__, __LINE__, #want, \
				#got, w_, w_, g_, g_);                         \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define TEST_EQ_STR(want, got, ...)                                            \
	do {                                                                   \
		const char *w_ = (want), *g_ = (got);                          \
		if (!w_ || !g_ || strcmp(w_, g_)) {                            \
			fprintf(stderr, "%s:%d: FAIL: %s == %s: wanted \"%s\", got \"%s\": ", \
				__FILE__, __LINE__, #want, #got, w_ ? w_ : "(null)", \
				g_ ? g_ : "(null)");                           \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			exit(1);                                               \
		}                                                              \
	} while (0)

#define TEST_CONTAINS(haystack, needle, ...)                                   \
	do {                                                                   \
		const char *h_ = (haystack), *n_ = (needle);                   \
		if (!h_ || !strstr(h_, n_)) {                                  \
			fprintf(stderr, "%s:%d: FAIL: \"%s\" should contain \"%s\": ", \
				__FILE__, __LINE__, h_ ? h_ : "(null)", n_);   \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			exit(1);                                               \
		}                                                              \
	} while (0)

/*
 * dir/name, in one of 16 buffers taken in turn: a path stays valid over
 * the next 15 calls, enough for a test's handful of files.
 */
static inline const char *test_path(const char *dir, const char *name)
{
	static char paths[16][600];
	static unsigned next;
	char *p = paths[next++ % 16];
	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

#endif
