/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the library that are not its API: the shared library keeps
 * them hidden (exitrace.map), the exitrace binary and the tests link their
 * own copy (the static exitrace-private library, or the internal one).
 */
#ifndef XT_UTIL_H
#define XT_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length of the valid UTF-8 sequence at p (at most n bytes), or 0 if
 * there is none.  Text strings in a trace are UTF-8 (RFC 8949 3.1): the
 * writer stores a '?' for every byte that is not part of one.
 */
size_t xt_utf8_len(const uint8_t *p, size_t n);

/* SHA-256 of a buffer. */
void xt_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
