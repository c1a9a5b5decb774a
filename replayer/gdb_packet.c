// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "gdb_packet.h"

/* One byte from the socket, reading more when the buffer is empty: the byte, -1 at EOF, -2 on error. */
static int get_byte(struct gdb_conn *c)
{
	if (c->in_pos == c->in_len) {
		ssize_t n;
		do
			n = read(c->fd, c->in, sizeof(c->in));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return n == 0 ? -1 : -2;
		c->in_len = (size_t)n;
		c->in_pos = 0;
	}
	return (unsigned char)c->in[c->in_pos++];
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int gdb_recv(struct gdb_conn *c, char *buf, size_t cap, size_t *len)
{
	for (;;) {
		int ch;
		while ((ch = get_byte(c)) != '$') {
			if (ch < 0)
				return ch == -1 ? 0 : -EIO;
			if (ch == 0x03)
				c->interrupted = true;
		}
		size_t n = 0;
		unsigned sum = 0;
		bool escaped = false;
		while ((ch = get_byte(c)) != '#') {
			if (ch < 0)
				return ch == -1 ? 0 : -EIO;
			sum += (unsigned)ch;
			if (escaped) {
				ch ^= 0x20;
				escaped = false;
			} else if (ch == '}') {
				escaped = true;
				continue;
			}
			if (n + 1 < cap)
				buf[n++] = (char)ch;
		}
		int h = get_byte(c), l = get_byte(c);
		if (h < 0 || l < 0)
			return h == -1 || l == -1 ? 0 : -EIO;
		buf[n] = 0;
		bool ok = hexval(h) >= 0 && hexval(l) >= 0 && (unsigned)(hexval(h) * 16 + hexval(l)) == (sum & 0xff);
		if (!c->no_ack && write_all(c->fd, ok ? "+" : "-", 1))
			return -EIO;
		if (ok || c->no_ack) {
			*len = n;
			return 1;
		}
	}
}

size_t gdb_hex(char *out, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
	return 2 * n;
}

int gdb_send(struct gdb_conn *c, const char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 0;
	unsigned sum = 0;
	c->out[n++] = '$';
	for (size_t i = 0; i < len && n < sizeof(c->out) - 4; i++) {
		char ch = data[i];
		if (ch == '}' || ch == '#' || ch == '$' || ch == '*') {
			c->out[n++] = '}';
			sum += '}';
			ch ^= 0x20;
		}
		c->out[n++] = ch;
		sum += (unsigned char)ch;
	}
	c->out[n++] = '#';
	c->out[n++] = digits[(sum >> 4) & 15];
	c->out[n++] = digits[sum & 15];
	for (int tries = 0; tries < 10; tries++) {
		if (write_all(c->fd, c->out, n))
			return -EIO;
		if (c->no_ack)
			return 0;
		int ch;
		while ((ch = get_byte(c)) != '+' && ch != '-') {
			if (ch < 0)
				return -EIO;
			if (ch == 0x03)
				c->interrupted = true;
		}
		if (ch == '+')
			return 0;
	}
	return -EIO;
}

int gdb_send_str(struct gdb_conn *c, const char *s)
{
	return gdb_send(c, s, strlen(s));
}

bool gdb_poll_interrupt(struct gdb_conn *c)
{
	while (c->in_pos < c->in_len)
		if (c->in[c->in_pos++] == 0x03)
			c->interrupted = true;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	if (!c->interrupted && poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
		char b[64];
		ssize_t n = read(c->fd, b, sizeof(b));
		for (ssize_t i = 0; i < n; i++)
			if (b[i] == 0x03)
				c->interrupted = true;
	}
	return c->interrupted;
}
