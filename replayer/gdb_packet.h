/* SPDX-License-Identifier: MIT */
/*
 * The gdb remote serial protocol's framing over a connected socket:
 * $data#checksum packets, their + / - acknowledgements (until
 * QStartNoAckMode), the escape of } # $ *, and the interrupt byte 0x03.
 */
#ifndef XT_GDB_PACKET_H
#define XT_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>

#define GDB_PACKET_MAX 16384

struct gdb_conn {
	int fd;
	bool no_ack;
	bool interrupted;		/* 0x03 arrived */
	char in[GDB_PACKET_MAX];
	size_t in_len, in_pos;
	char out[2 * GDB_PACKET_MAX + 8];
};

/* The next packet's data (NUL-terminated) into buf: 1, 0 when gdb closed the connection, -errno. */
int gdb_recv(struct gdb_conn *c, char *buf, size_t cap, size_t *len);

/* Send data as one packet (escaped), and wait for its acknowledgement. 0 or -errno. */
int gdb_send(struct gdb_conn *c, const char *data, size_t len);
int gdb_send_str(struct gdb_conn *c, const char *s);

/* n bytes as hex digit pairs, in memory order, NUL-terminated: the protocol's byte encoding.  2n. */
size_t gdb_hex(char *out, const void *p, size_t n);

/* Has gdb sent the interrupt byte (read without waiting)? */
bool gdb_poll_interrupt(struct gdb_conn *c);

#endif
