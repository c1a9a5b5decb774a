/* SPDX-License-Identifier: MIT */
/* The exitrace command line: the command table and the printing helpers. */
#ifndef XT_CLI_H
#define XT_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "exitrace.h"

/* Exit statuses (DESIGN.md): same/success, differences, usage/I-O/format error. */
#define XT_EXIT_OK 0
#define XT_EXIT_DIFFERENT 1
#define XT_EXIT_ERROR 2

struct xt_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;	/* the usage line after the command name */
	const char *summary;
};

/* SIGXFSZ as exitrace was started with (main() ignores it), for record -- COMMAND to give back. */
extern struct sigaction cli_old_xfsz;

int cmd_info(int argc, char **argv);
int cmd_record(int argc, char **argv);
/* record -- COMMAND (attach mode) or cmd_record (tools/cmd_record_attach.c) */
int cmd_record_attach(int argc, char **argv);
int cmd_record_any(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_scenarios(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* Print "exitrace CMD: message" to stderr; returns XT_EXIT_ERROR. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error: the message, then "try 'exitrace CMD --help'". */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the usage of a command to f. */
void cli_print_usage(FILE *f, const char *cmd);
/* A command's options, defaults and examples for its --help (help_options.c). */
const char *help_options(const char *cmd);
/* Parse an unsigned number (decimal, 0x hex); false if it is not one. */
bool cli_parse_u64(const char *s, uint64_t *v);
/* The same with an optional K, M or G (KiB, MiB, GiB): a size in bytes. */
bool cli_parse_size(const char *s, uint64_t *out);

/*
 * Do paths a and b name the same file (a hard link, a symbolic link or
 * another spelling of it), so that writing one overwrites the other?
 */
bool cli_same_file(const char *a, const char *b);

/* Open a trace or print why not; NULL on failure. */
struct xt_reader *cli_open_trace(const char *cmd, const char *path);
/*
 * A name every reader can open again for path: path itself for a file;
 * for "-" (standard input) or a stream (a pipe, <(...)), "/dev/fd/N" of a
 * copy of it in an unlinked temporary file (in buf).  For commands that
 * open a trace more than once.  NULL (the error printed) on failure.
 */
const char *cli_seekable_input(const char *cmd, const char *path, char *buf, size_t size);
/* Warn on stderr when reading found the trace's footer contradicting its data. */
void cli_warn_inconsistent(const char *cmd, const char *path, const struct xt_reader *r);

/* --vcpu N: no filter */
#define CLI_ALL_VCPUS UINT64_MAX
/* Parse --vcpu's value into *vcpu; false (a usage error printed) if it is not a number. */
bool cli_parse_vcpu(const char *cmd, const char *s, uint64_t *vcpu);
/* Is vcpu (or CLI_ALL_VCPUS) one the trace has?  If not, a usage error is printed. */
bool cli_check_vcpu(const char *cmd, const struct xt_reader *r, uint64_t vcpu);

/* ---- formatting (format.c) ---- */

/*
 * snprintf at buf + len.  len counts what would have been written, so once
 * an append is cut short len >= size: the guard stops size - len from
 * wrapping and the text simply ends there.
 */
#define APPEND(buf, size, len, ...)                                            \
	do {                                                                   \
		if ((len) < (size))                                            \
			(len) += (size_t)snprintf((buf) + (len), (size) - (len), __VA_ARGS__); \
	} while (0)

/* The exit of s in a few words: "IO out 0x3f8 size=1 data=41". */
void fmt_exit(char *buf, size_t size, const struct xt_state *s);
/* A field's value: U64 as hex, BLOB as hex bytes. */
void fmt_field(char *buf, size_t size, const struct xt_state *s, const struct xt_field *f);
/*
 * The same, as one side of a difference: a BLOB that differs from other's
 * only past its first 16 bytes shows from where it differs, "@OFFSET: hex
 * (N bytes)", so that a difference past what fits on a line still shows.
 */
void fmt_field_against(char *buf, size_t size, const struct xt_state *s, const struct xt_state *other,
		       const struct xt_field *f);
/* ", N ns of each outside KVM_RUN" of record's and replay's sampled own time, or "" if none was sampled. */
struct rec_own_time;
void fmt_own_time(char *buf, size_t size, const struct rec_own_time *o);
/* An event in a few words, without its step; stats counters by their names in h, if given. */
void fmt_event(char *buf, size_t size, const struct xt_event *ev, const struct xt_header *h);
/* An irq-taken event's vector, "0x30", or when ambiguous "? (0x30|0x31)"; returns the length needed. */
size_t fmt_taken_vector(char *buf, size_t size, const struct xt_event *ev);
/* ,"vector":48 or, when ambiguous, ,"vector":null,"candidates":[48,49] */
void json_taken_vector(FILE *f, const struct xt_event *ev);
/* Is the field part of the exit's description (payload or reason) rather than state? */
bool fmt_is_exit_payload(const struct xt_field *f);
/*
 * A field of the time block (--capture time): host clocks, shown as a step's
 * durations ("run=5.61us gap=0.43us"), not as changed fields.
 */
static inline bool fmt_is_host_time(const struct xt_field *f)
{
	return f->block == XT_BLOCK_TIME;
}
/* set without the time block's fields */
static inline void fmt_drop_host_time(struct xt_field_set *set)
{
	xt_field_set_del(set, XT_F_TIME_RUN);
	xt_field_set_del(set, XT_F_TIME_OUT);
}
/*
 * A step's durations from the vCPU's clocks before (prev) and after it,
 * in microseconds: its KVM_RUN and the gap before it.
 */
static inline void fmt_step_time(const struct xt_time *prev, const struct xt_time *cur, uint64_t hz,
				 double *run_us, double *gap_us)
{
	*run_us = (double)(int64_t)(cur->run - prev->run) * 1e6 / (double)hz;
	*gap_us = (double)(int64_t)(cur->out - prev->out) * 1e6 / (double)hz;
}

/* ---- JSON (json.c) ---- */

/*
 * Every --json output is "exitrace-json/1" (docs/json.md,
 * docs/exitrace-json.schema.json): a machine word (a register, an address,
 * a field's value) is a "0x..." string, a count or small code a number.
 */
#define XT_JSON_FORMAT "exitrace-json/1"
/* Open a top-level object: {"format":"exitrace-json/1","command":"CMD" (the caller goes on with ,"key":...). */
void json_top(FILE *f, const char *command);
void json_str(FILE *f, const char *s);
void json_bytes_hex(FILE *f, const uint8_t *p, size_t n);
/* A field's value: a U64 as a "0x..." string, a blob as a string of all its bytes in hex. */
void json_field(FILE *f, const struct xt_state *s, const struct xt_field *fd);
/* {"name": "0x..", ...} of the fields in set (or all captured fields if set is NULL). */
void json_state_fields(FILE *f, const struct xt_state *s, const struct xt_field_set *set,
		       uint32_t capture);
void json_event(FILE *f, const struct xt_event *ev);
void json_exit(FILE *f, const struct xt_state *s);

#endif
