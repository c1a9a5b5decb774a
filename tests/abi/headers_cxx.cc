// SPDX-License-Identifier: MIT
/*
 * The installed headers in a C++ program (-std=c++11 -pedantic -Werror):
 * they declare the library's functions with C linkage, which the link
 * against the shared library proves.
 */
#include <exitrace.h>
#include <cstdio>
#include <cstring>

int main()
{
	const char *v = xt_version();
	const xt_field *rip = xt_field_by_name("rip");
	xt_event ev = xt_event();
	xt_record rec = XT_RECORD_INIT;
	xt_writer_options opts = XT_WRITER_OPTIONS_INIT;
	ev.kind = XT_EV_IPI;
	ev.ipi.icr = 0x4030;
	int bad = 0;
	if (rec.size != sizeof(rec) || opts.size != sizeof(opts)) {
		std::fprintf(stderr, "XT_RECORD_INIT, XT_WRITER_OPTIONS_INIT: the size not set\n");
		bad = 1;
	}
	if (!v || !*v) {
		std::fprintf(stderr, "xt_version: empty\n");
		bad = 1;
	}
	if (!rip || rip->id != XT_F_RIP) {
		std::fprintf(stderr, "xt_field_by_name(\"rip\"): not the RIP field\n");
		bad = 1;
	}
	if (std::strcmp(xt_end_reason_name(XT_END_HLT), "hlt") != 0 || xt_icr_vector(ev.ipi.icr) != 0x30) {
		std::fprintf(stderr, "names: wrong answer\n");
		bad = 1;
	}
	return bad;
}
