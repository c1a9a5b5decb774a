// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdb_vfile.h"

#define VFILE_FD 5
#define PREAD_MAX 4096		/* escaped, at most twice that: within the packet */
#define FIO_ENOENT 2
#define FIO_EBADF 9
#define FIO_EINVAL 22

static char reply[2 * PREAD_MAX + 64];

bool gdb_vfile_is_elf(const uint8_t *image, size_t size)
{
	return image && size >= 4 && !memcmp(image, "\x7f" "ELF", 4);
}

static int fail(struct gdb_conn *c, int fio_errno)
{
	snprintf(reply, sizeof(reply), "F-1,%x", fio_errno);
	return gdb_send_str(c, reply);
}

/* gdb's struct stat for files (its remote protocol's File-I/O): big-endian fields. */
static size_t put_be(uint8_t *p, uint64_t v, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	return bytes;
}

static int fstat_reply(struct gdb_conn *c, size_t size)
{
	uint8_t st[64] = { 0 };
	size_t n = 0;
	n += put_be(st + n, 0, 4);		/* st_dev */
	n += put_be(st + n, 1, 4);		/* st_ino */
	n += put_be(st + n, 0100444, 4);	/* st_mode: a read-only regular file */
	n += put_be(st + n, 1, 4);		/* st_nlink */
	n += put_be(st + n, 0, 4);		/* st_uid */
	n += put_be(st + n, 0, 4);		/* st_gid */
	n += put_be(st + n, 0, 4);		/* st_rdev */
	n += put_be(st + n, size, 8);		/* st_size */
	n += put_be(st + n, 4096, 8);		/* st_blksize */
	n += put_be(st + n, (size + 511) / 512, 8);	/* st_blocks */
	n += 12;				/* st_atime, st_mtime, st_ctime: 0 */
	int k = snprintf(reply, sizeof(reply), "F%zx;", n);
	memcpy(reply + k, st, n);
	return gdb_send(c, reply, (size_t)k + n);
}

int gdb_vfile_packet(struct gdb_conn *c, const char *pkt, const uint8_t *image, size_t size)
{
	bool elf = gdb_vfile_is_elf(image, size);
	if (!strncmp(pkt, "qXfer:exec-file:read:", 21)) {
		if (!elf)
			return gdb_send_str(c, "E01");
		unsigned long off = 0;
		const char *colon = strrchr(pkt, ':');
		sscanf(colon + 1, "%lx", &off);
		size_t len = strlen(GDB_VFILE_NAME);
		const char *rest = GDB_VFILE_NAME;
		snprintf(reply, sizeof(reply), "l%s", off < len ? rest + off : "");
		return gdb_send_str(c, reply);
	}
	if (!strncmp(pkt, "vFile:setfs:", 12))
		return gdb_send_str(c, "F0");
	if (!strncmp(pkt, "vFile:open:", 11)) {
		char name[256] = "";
		const char *p = pkt + 11;
		size_t n = 0;
		for (unsigned v; n + 1 < sizeof(name) && p[0] && p[0] != ',' && sscanf(p, "%2x", &v) == 1; p += 2)
			name[n++] = (char)v;
		name[n] = 0;
		if (!elf || strcmp(name, GDB_VFILE_NAME))
			return fail(c, FIO_ENOENT);
		snprintf(reply, sizeof(reply), "F%x", VFILE_FD);
		return gdb_send_str(c, reply);
	}
	if (!strncmp(pkt, "vFile:pread:", 12)) {
		unsigned long fd, count, off;
		if (sscanf(pkt + 12, "%lx,%lx,%lx", &fd, &count, &off) != 3 || fd != VFILE_FD || !elf)
			return fail(c, FIO_EBADF);
		if (count > PREAD_MAX)
			count = PREAD_MAX;
		size_t n = off < size ? (size - off < count ? size - off : count) : 0;
		int k = snprintf(reply, sizeof(reply), "F%zx;", n);
		memcpy(reply + k, image + (n ? off : 0), n);
		return gdb_send(c, reply, (size_t)k + n);
	}
	if (!strncmp(pkt, "vFile:fstat:", 12)) {
		if (strtoul(pkt + 12, NULL, 16) != VFILE_FD || !elf)
			return fail(c, FIO_EBADF);
		return fstat_reply(c, size);
	}
	if (!strncmp(pkt, "vFile:close:", 12))
		return gdb_send_str(c, "F0");
	return fail(c, FIO_EINVAL);	/* unlink, readlink, pwrite: not here */
}
