// SPDX-License-Identifier: MIT
/* Hand-built text: the output buffer (see text_out.h). */
#include "text_out.h"

void text_out_init(struct text_out *o, FILE *f)
{
	o->f = f;
	o->p = o->buf;
}

void text_out_flush(struct text_out *o)
{
	if (o->p > o->buf)
		fwrite(o->buf, 1, (size_t)(o->p - o->buf), o->f);
	o->p = o->buf;
}

/* "00", "01", ... "ff": hex digits two at a time, for half the loop's turns */
static const char hex_pairs[512] =
	"000102030405060708090a0b0c0d0e0f" "101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f" "303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f" "505152535455565758595a5b5c5d5e5f"
	"606162636465666768696a6b6c6d6e6f" "707172737475767778797a7b7c7d7e7f"
	"808182838485868788898a8b8c8d8e8f" "909192939495969798999a9b9c9d9e9f"
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecf" "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeef" "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* Hex digits: the count from the highest set bit, then written from the last ones back. */
char *text_hex(char *p, uint64_t v)
{
	int bits = 64 - __builtin_clzll(v | 1);	/* 0 has one digit, as 1 */
	char *end = p + 2 + (bits + 3) / 4, *q = end;
	p[0] = '0';
	p[1] = 'x';
	for (; q - (p + 2) >= 2; v >>= 8) {
		q -= 2;
		memcpy(q, &hex_pairs[2 * (v & 0xff)], 2);
	}
	if (q > p + 2)	/* an odd count: the first digit alone */
		*--q = "0123456789abcdef"[v & 15];
	return end;
}

/*
 * The number of decimal digits of v.  log10(2) is about 1233 / 4096, so a
 * number of b bits has t = b * 1233 >> 12 digits or one more: one
 * comparison with 10^t tells which.  v | 1 has the digits of v (a power of
 * ten, being even, is never v | 1 of a smaller v) and 0 counts as 1.
 */
static int dec_len(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
		1000000000000ull, 10000000000000ull, 100000000000000ull,
		1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
		1000000000000000000ull, 10000000000000000000ull,
	};
	v |= 1;
	int t = ((64 - __builtin_clzll(v)) * 1233) >> 12;
	return t + (v >= pow10[t]);
}

/* "00", "01", ... "99": two digits per division by 100 halves the divisions. */
static const char digit_pairs[200] =
	"00010203040506070809" "10111213141516171819" "20212223242526272829"
	"30313233343536373839" "40414243444546474849" "50515253545556575859"
	"60616263646566676869" "70717273747576777879" "80818283848586878889"
	"90919293949596979899";

/* The n digits of v (n = dec_len(v)) at p, written from the last one back. */
static char *put_digits(char *p, uint64_t v, int n)
{
	char *end = p + n, *q = end;
	while (v >= 100) {
		q -= 2;
		memcpy(q, &digit_pairs[2 * (v % 100)], 2);
		v /= 100;
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, &digit_pairs[2 * v], 2);
	} else {
		*--q = (char)('0' + v);
	}
	return end;
}

char *text_dec(char *p, uint64_t v)
{
	if (v < 10) {	/* dump's exception numbers: not worth counting */
		*p = (char)('0' + v);
		return p + 1;
	}
	return put_digits(p, v, dec_len(v));
}

char *text_dec_width(char *p, uint64_t v, int width)
{
	int n = dec_len(v);
	if (width > n) {
		memset(p, ' ', (size_t)(width - n));
		p += width - n;
	}
	return put_digits(p, v, n);
}
