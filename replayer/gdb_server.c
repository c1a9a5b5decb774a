// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gdb_packet.h"
#include "gdb_regs.h"
#include "gdb_server.h"
#include "gdb_vfile.h"
#include "rec_util.h"
#include "time_travel.h"
#include "xt_reader.h"

#define MEM_READ_MAX 4096
#define EXITS_AROUND 5

struct server {
	const struct gdb_server_options *o;
	struct gdb_conn conn;
	struct time_travel *tt;
	enum gdb_arch arch;
	uint32_t thread;		/* Hg: the vCPU registers and memory are read from */
	char reply[GDB_PACKET_MAX];
	char cmd[GDB_PACKET_MAX];
	bool done;
};

static enum gdb_arch arch_of_trace;	/* for pc_view, which has no context */

static uint64_t pc_view(const struct xt_state *s)
{
	return gdb_pc(arch_of_trace, s);
}

static bool interrupted(void *ctx)
{
	struct server *s = ctx;
	return gdb_poll_interrupt(&s->conn);
}

static size_t from_hex(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	for (; in[0] && in[1] && n + 1 < cap; in += 2) {
		unsigned v;
		if (sscanf(in, "%2x", &v) != 1)
			break;
		out[n++] = (char)v;
	}
	out[n] = 0;
	return n;
}

/* Console output for gdb (monitor replies, divergence notes): an O packet. */
static int say(struct server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int say(struct server *s, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	char pkt[2 * sizeof(text) + 2] = "O";
	gdb_hex(pkt + 1, text, strlen(text));
	return gdb_send_str(&s->conn, pkt);
}

static int stop_reply(struct server *s, int stop)
{
	uint32_t thread = tt_vcpu(s->tt) + 1;
	const char *why = "";
	char extra[64] = "";
	switch (stop) {
	case TT_STOP_BREAK: why = "swbreak:;"; break;
	case TT_STOP_WATCH:
		snprintf(extra, sizeof(extra), "watch:%" PRIx64 ";", tt_watch_hit(s->tt));
		why = extra;
		break;
	case TT_STOP_BEGIN: why = "replaylog:begin;"; break;
	case TT_STOP_END: why = "replaylog:end;"; break;
	case TT_STOP_DIVERGED: {
		const char *d = tt_diverged(s->tt);
		say(s, "exitrace: %s; this is the replayed state of step %" PRIu64 ", the replay goes no further\n",
		    d ? d : "replay diverged", tt_step(s->tt));
		why = "replaylog:end;";
		break;
	}
	default: break;
	}
	s->thread = thread - 1;
	snprintf(s->reply, sizeof(s->reply), "T%02xthread:%x;%s", stop == TT_STOP_INTERRUPTED ? 2 : 5, thread, why);
	return gdb_send_str(&s->conn, s->reply);
}

static int move_reply(struct server *s, int rc, struct xt_error *err)
{
	if (rc < 0) {
		say(s, "exitrace: %s\n", err->msg);
		return gdb_send_str(&s->conn, "E05");
	}
	return stop_reply(s, rc);
}

static int read_memory(struct server *s, const char *args, bool phys, char *out, size_t cap)
{
	uint64_t addr, len;
	if (sscanf(args, "%" SCNx64 ",%" SCNx64, &addr, &len) != 2)
		return snprintf(out, cap, "E01");
	if (len > MEM_READ_MAX)
		len = MEM_READ_MAX;
	uint8_t buf[MEM_READ_MAX];
	size_t n = phys ? tt_read_phys(s->tt, addr, buf, len) : tt_read_virt(s->tt, s->thread, addr, buf, len);
	if (!n && len)
		return snprintf(out, cap, "E14");
	gdb_hex(out, buf, n);
	return (int)(2 * n);
}

/* monitor exits: the recorded steps around the cursor, read from the trace itself. */
static void monitor_exits(struct server *s)
{
	struct xt_reader *rd;
	struct xt_error e;
	if (xt_reader_open(&rd, s->o->replay->path, &e)) {
		say(s, "cannot read %s: %s\n", s->o->replay->path, e.msg);
		return;
	}
	uint64_t here = tt_step(s->tt), first = here > EXITS_AROUND ? here - EXITS_AROUND : 1;
	struct xt_record rec = XT_RECORD_INIT;
	if (xt_reader_seek(rd, first) == 0)
		while (xt_reader_next(rd, &rec) > 0) {
			if (rec.type != XT_REC_STEP)
				continue;
			if (rec.step > here + EXITS_AROUND)
				break;
			const char *name = xt_exit_reason_name(rec.state->exit.reason);
			say(s, "%s step %" PRIu64 " vCPU %u: exit %s, then rip 0x%" PRIx64 "\n", rec.step == here ? "=>" : "  ",
			    rec.step, rec.vcpu, name ? name : "?", rec.state->regs.rip);
		}
	xt_reader_close(rd);
}

static void monitor_where(struct server *s)
{
	size_t n;
	uint64_t every, bytes, limit;
	tt_checkpoints(s->tt, &n, &every, &bytes, &limit);
	const struct xt_state *st = tt_state(s->tt, tt_vcpu(s->tt));
	say(s, "step %" PRIu64 " of %" PRIu64 " (vCPU %u), rip 0x%" PRIx64 "; %zu checkpoints every %" PRIu64
	    " steps, %.1f of %.0f MiB\n", tt_step(s->tt), tt_last(s->tt), tt_vcpu(s->tt), st->regs.rip, n, every,
	    (double)bytes / 1048576.0, (double)limit / 1048576.0);
}

static void monitor_phys(struct server *s, const char *args)
{
	uint64_t addr, len = 64;
	if (sscanf(args, "%" SCNi64 " %" SCNi64, &addr, &len) < 1) {
		say(s, "usage: monitor phys ADDR [LEN]\n");
		return;
	}
	if (len > MEM_READ_MAX)
		len = MEM_READ_MAX;
	uint8_t buf[MEM_READ_MAX];
	size_t n = tt_read_phys(s->tt, addr, buf, len);
	if (!n)
		say(s, "0x%" PRIx64 " is outside the guest's memory\n", addr);
	for (size_t i = 0; i < n; i += 16) {
		char line[128];
		int k = snprintf(line, sizeof(line), "0x%08" PRIx64 ":", addr + i);
		for (size_t j = i; j < n && j < i + 16; j++)
			k += snprintf(line + k, sizeof(line) - (size_t)k, " %02x", buf[j]);
		say(s, "%s\n", line);
	}
}

static const char monitor_help[] =
	"exitrace monitor commands:\n"
	"  step N        go to step N of the trace (forward or back)\n"
	"  where         the current step, vCPU and checkpoints\n"
	"  exits         the recorded exits around the current step\n"
	"  diverged      where replay first differed from the recording, if it did\n"
	"  phys ADDR [LEN]  guest-physical memory\n";

static int monitor(struct server *s, const char *hex)
{
	char line[512];
	from_hex(hex, line, sizeof(line));
	char *args = line + strcspn(line, " ");
	if (*args)
		*args++ = 0;
	struct xt_error err = { 0 };
	if (!strcmp(line, "step")) {
		uint64_t n;
		if (sscanf(args, "%" SCNu64, &n) != 1) {
			say(s, "usage: monitor step N\n");
		} else {
			int rc = tt_goto(s->tt, n, &err);
			if (rc < 0)
				say(s, "exitrace: %s\n", err.msg);
			else if (rc == TT_STOP_DIVERGED)
				say(s, "%s\n", tt_diverged(s->tt));
			else if (rc == TT_STOP_END && n > tt_step(s->tt))
				say(s, "the trace ends at step %" PRIu64 "\n", tt_step(s->tt));
			monitor_where(s);
			s->thread = tt_vcpu(s->tt);
		}
	} else if (!strcmp(line, "where")) {
		monitor_where(s);
	} else if (!strcmp(line, "exits")) {
		monitor_exits(s);
	} else if (!strcmp(line, "diverged")) {
		const char *d = tt_diverged(s->tt);
		say(s, "%s\n", d ? d : "replay has not diverged from the recording (so far)");
	} else if (!strcmp(line, "phys")) {
		monitor_phys(s, args);
	} else {
		say(s, "%s", monitor_help);
	}
	return gdb_send_str(&s->conn, "OK");
}

static int xfer_features(struct server *s, const char *args)
{
	const char *xml = gdb_target_xml(s->arch);
	unsigned long off, len;
	if (strncmp(args, "target.xml:", 11) || sscanf(args + 11, "%lx,%lx", &off, &len) != 2)
		return gdb_send_str(&s->conn, "E00");
	size_t total = strlen(xml);
	if (off >= total)
		return gdb_send_str(&s->conn, "l");
	if (len > GDB_PACKET_MAX - 2)
		len = GDB_PACKET_MAX - 2;
	size_t n = total - off < len ? total - off : len;
	s->reply[0] = off + n < total ? 'm' : 'l';
	memcpy(s->reply + 1, xml + off, n);
	return gdb_send(&s->conn, s->reply, n + 1);
}

static int breakpoint(struct server *s, const char *p, bool insert)
{
	int type;
	uint64_t addr, kind;
	if (sscanf(p + 1, "%d,%" SCNx64 ",%" SCNx64, &type, &addr, &kind) != 3)
		return gdb_send_str(&s->conn, "E01");
	int rc;
	if (type == 0 || type == 1)
		rc = insert ? tt_break_add(s->tt, addr) : tt_break_remove(s->tt, addr);
	else if (type == 2)
		rc = insert ? tt_watch_add(s->tt, addr, (uint32_t)kind) : tt_watch_remove(s->tt, addr, (uint32_t)kind);
	else
		return gdb_send_str(&s->conn, "");	/* read and access watchpoints: not seen by comparing memory */
	return gdb_send_str(&s->conn, rc && insert ? "E01" : "OK");
}

static int threads(struct server *s, bool first)
{
	if (!first)
		return gdb_send_str(&s->conn, "l");
	size_t n = 1;
	s->reply[0] = 'm';
	for (uint32_t i = 0; i < tt_vcpus(s->tt) && n < sizeof(s->reply) - 16; i++)
		n += (size_t)snprintf(s->reply + n, sizeof(s->reply) - n, "%s%x", i ? "," : "", i + 1);
	return gdb_send(&s->conn, s->reply, n);
}

static int select_thread(struct server *s, const char *p)
{
	long t = strtol(p + 1, NULL, 16);
	if (p[0] == 'g' && t > 0 && (uint32_t)t <= tt_vcpus(s->tt))
		s->thread = (uint32_t)t - 1;
	return gdb_send_str(&s->conn, "OK");
}

static int packet(struct server *s, char *p)
{
	struct xt_error err = { 0 };
	struct kvm_fpu fpu;
	switch (p[0]) {
	case '?':
		return stop_reply(s, TT_STOP_STEP);
	case 'g':
		tt_fpu(s->tt, s->thread, &fpu);
		gdb_regs_hex(s->arch, tt_state(s->tt, s->thread), &fpu, s->reply);
		return gdb_send_str(&s->conn, s->reply);
	case 'p':
		tt_fpu(s->tt, s->thread, &fpu);
		if (!gdb_reg_hex(s->arch, (unsigned)strtoul(p + 1, NULL, 16), tt_state(s->tt, s->thread), &fpu, s->reply))
			return gdb_send_str(&s->conn, "E00");
		return gdb_send_str(&s->conn, s->reply);
	case 'G': case 'P': case 'M': case 'X':
		return gdb_send_str(&s->conn, "E01");	/* the replay is the recording's: nothing to change */
	case 'm':
		read_memory(s, p + 1, false, s->reply, sizeof(s->reply));
		return gdb_send_str(&s->conn, s->reply);
	case 'H':
		return select_thread(s, p + 1);
	case 'T':
		return gdb_send_str(&s->conn, strtoul(p + 1, NULL, 16) - 1 < tt_vcpus(s->tt) ? "OK" : "E01");
	case 'Z': case 'z':
		return breakpoint(s, p, p[0] == 'Z');
	case 's': case 'c':
		return move_reply(s, tt_forward(s->tt, p[0] == 's', &err), &err);
	case 'b':
		if (p[1] == 's' || p[1] == 'c')
			return move_reply(s, tt_backward(s->tt, p[1] == 's', &err), &err);
		return gdb_send_str(&s->conn, "");
	case 'D':
		s->done = true;
		return gdb_send_str(&s->conn, "OK");
	case 'k':
		s->done = true;
		return 0;
	case 'v':
		if (!strncmp(p, "vFile:", 6)) {
			size_t n;
			const uint8_t *image = tt_image(s->tt, &n);
			return gdb_vfile_packet(&s->conn, p, image, n);
		}
		if (!strncmp(p, "vKill", 5)) {
			s->done = true;
			return gdb_send_str(&s->conn, "OK");
		}
		return gdb_send_str(&s->conn, "");
	case 'q':
		if (!strncmp(p, "qSupported", 10))
		{
			size_t n;
			const uint8_t *image = tt_image(s->tt, &n);
			bool elf = gdb_vfile_is_elf(image, n);
			return gdb_send_str(&s->conn, elf ? "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;"
							   "ReverseStep+;ReverseContinue+;swbreak+;hwbreak+;"
							   "qXfer:exec-file:read+"
							 : "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;"
							   "ReverseStep+;ReverseContinue+;swbreak+;hwbreak+");
		}
		if (!strncmp(p, "qXfer:features:read:", 20))
			return xfer_features(s, p + 20);
		if (!strncmp(p, "qXfer:exec-file:read:", 21)) {
			size_t n;
			const uint8_t *image = tt_image(s->tt, &n);
			return gdb_vfile_packet(&s->conn, p, image, n);
		}
		if (!strcmp(p, "qC")) {
			snprintf(s->reply, sizeof(s->reply), "QC%x", tt_vcpu(s->tt) + 1);
			return gdb_send_str(&s->conn, s->reply);
		}
		if (!strcmp(p, "qfThreadInfo") || !strcmp(p, "qsThreadInfo"))
			return threads(s, p[1] == 'f');
		if (!strcmp(p, "qAttached"))
			return gdb_send_str(&s->conn, "1");
		if (!strncmp(p, "qRcmd,", 6))
			return monitor(s, p + 6);
		if (!strncmp(p, "qThreadExtraInfo,", 17)) {
			char text[32];
			snprintf(text, sizeof(text), "vCPU %lu", strtoul(p + 17, NULL, 16) - 1);
			gdb_hex(s->reply, text, strlen(text));
			return gdb_send_str(&s->conn, s->reply);
		}
		return gdb_send_str(&s->conn, "");
	case 'Q':
		if (!strcmp(p, "QStartNoAckMode")) {
			int rc = gdb_send_str(&s->conn, "OK");
			s->conn.no_ack = true;
			return rc;
		}
		return gdb_send_str(&s->conn, "");
	default:
		return gdb_send_str(&s->conn, "");
	}
}

/* Listen where o says; the socket, or -errno with err set.  Says where on o->log. */
static int listen_on(const struct gdb_server_options *o, struct xt_error *err)
{
	int fd;
	if (o->unix_path) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		if (strlen(o->unix_path) >= sizeof(a.sun_path))
			return rec_err(err, -ENAMETOOLONG, "--gdb-unix %s: the path is too long", o->unix_path);
		strcpy(a.sun_path, o->unix_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return rec_err(err, -e, "--gdb-unix %s: %s", o->unix_path, strerror(e));
		}
		fprintf(o->log, "exitrace replay: gdb server on %s (gdb: target remote %s)\n", o->unix_path,
			o->unix_path);
		fflush(o->log);
		return fd;
	}
	char host[256] = "127.0.0.1";
	const char *port = o->tcp, *colon = strrchr(o->tcp, ':');
	if (colon) {
		size_t n = (size_t)(colon - o->tcp);
		if (n >= sizeof(host))
			return rec_err(err, -EINVAL, "--gdb %s: the host name is too long", o->tcp);
		if (n) {
			memcpy(host, o->tcp, n);
			host[n] = 0;
		}
		port = colon + 1;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai;
	int g = getaddrinfo(host, port, &hints, &ai);
	if (g)
		return rec_err(err, -EINVAL, "--gdb %s: %s", o->tcp, gai_strerror(g));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return rec_err(err, -e, "--gdb %s: %s", o->tcp, strerror(e));
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char shown[NI_MAXHOST] = "?", sport[NI_MAXSERV] = "?";
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		getnameinfo((struct sockaddr *)&ss, len, shown, sizeof(shown), sport, sizeof(sport),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	fprintf(o->log, "exitrace replay: gdb server on %s:%s (gdb: target remote %s:%s)\n", shown, sport, shown, sport);
	fflush(o->log);
	return fd;
}

int gdb_serve(const struct gdb_server_options *o, struct xt_error *err)
{
	struct server *s = calloc(1, sizeof(*s));
	if (!s)
		return rec_err(err, -ENOMEM, "out of memory");
	s->o = o;
	struct tt_options to = { .replay = o->replay, .checkpoint_every = o->checkpoint_every,
				 .checkpoint_mem = o->checkpoint_mem, .interrupted = interrupted, .ctx = s };
	struct replay_result res;
	int rc = tt_open(&s->tt, &to, &res, err);
	if (rc) {
		replay_result_free(&res);
		free(s);
		return rc;
	}
	const struct xt_state *st0 = tt_state(s->tt, 0);
	s->arch = (st0->sregs.efer & (1ull << 10)) ? GDB_ARCH_AMD64 : GDB_ARCH_I386;
	arch_of_trace = s->arch;
	tt_set_pc_view(s->tt, pc_view);
	int lfd = listen_on(o, err);
	if (lfd < 0) {
		rc = lfd;
		goto out;
	}
	int cfd;
	do
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	while (cfd < 0 && errno == EINTR);
	close(lfd);
	if (o->unix_path)
		unlink(o->unix_path);
	if (cfd < 0) {
		rc = rec_err(err, -errno, "accepting gdb's connection: %s", strerror(errno));
		goto out;
	}
	int one = 1;
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->conn.fd = cfd;
	fprintf(o->log, "exitrace replay: gdb connected; %s, %" PRIu64 " steps, %s\n", o->replay->path,
		tt_last(s->tt), s->arch == GDB_ARCH_AMD64 ? "x86-64" : "i386");
	fflush(o->log);
	size_t len;
	while (!s->done && (rc = gdb_recv(&s->conn, s->cmd, sizeof(s->cmd), &len)) > 0) {
		s->conn.interrupted = false;
		if ((rc = packet(s, s->cmd)) < 0)
			break;
	}
	if (rc < 0)
		rc = rec_err(err, rc, "the connection to gdb failed");
	else
		rc = 0;
	close(cfd);
	fprintf(o->log, "exitrace replay: gdb session ended at step %" PRIu64 "\n", tt_step(s->tt));
out:
	tt_close(s->tt);
	replay_result_free(&res);
	free(s);
	return rc;
}
