// SPDX-License-Identifier: MIT
/* Trace strings made safe for text output (see text_escape.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "exitrace.h"
#include "text_escape.h"
#include "xt_util.h"

static uint32_t decode(const uint8_t *p, size_t k)
{
	static const uint8_t lead_mask[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = p[0] & lead_mask[k];
	for (size_t i = 1; i < k; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

/* Code points that control the terminal or the layout rather than print. */
static bool moves_text(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||			/* C1 controls (CSI is U+009B) */
	       (cp >= 0x200b && cp <= 0x200f) ||		/* zero-width, LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) ||		/* line/paragraph separators, bidi embeddings */
	       (cp >= 0x2060 && cp <= 0x2069) ||		/* word joiner ... bidi isolates */
	       cp == 0xfeff;					/* zero-width no-break space */
}

size_t text_esc_mem(char *buf, size_t size, const void *src, size_t n, unsigned flags)
{
	const uint8_t *p = src;
	size_t len = 0, i = 0, mark = 0;
	if (!size)
		return 0;
	while (i < n) {
		char piece[16];
		size_t k = 1, plen;
		uint8_t c = p[i];
		if (c == '\\' || (c == '"' && (flags & TEXT_ESC_QUOTE))) {
			piece[0] = '\\';
			piece[1] = (char)c;
			plen = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			piece[0] = (char)c;
			plen = 1;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			piece[0] = '\\';
			piece[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			plen = 2;
		} else if (c >= 0x80 && (k = xt_utf8_len(p + i, n - i)) > 1) {
			uint32_t cp = decode(p + i, k);
			if (moves_text(cp)) {
				plen = (size_t)snprintf(piece, sizeof(piece), "\\u%04x", (unsigned)cp);
			} else {
				memcpy(piece, p + i, k);
				plen = k;
			}
		} else {
			k = 1;	/* a control byte, DEL, or a byte that starts no UTF-8 character */
			plen = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", c);
		}
		if (len + 3 < size)
			mark = len;	/* where "..." still fits, should what follows not */
		if (len + plen >= size) {
			len = mark;
			if (len + 3 < size) {
				memcpy(buf + len, "...", 3);
				len += 3;
			}
			break;
		}
		memcpy(buf + len, piece, plen);
		len += plen;
		i += k;
	}
	buf[len] = 0;
	return len;
}

const char *text_esc(char *buf, size_t size, const char *s)
{
	if (!s)
		s = "?";
	text_esc_mem(buf, size, s, strlen(s), 0);
	return buf;
}
