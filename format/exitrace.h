/* SPDX-License-Identifier: MIT */
/*
 * libexitrace: read and write exitrace traces (format/SPEC.md).
 *
 * One umbrella header: the state model, the records, the writer, the reader.
 */
#ifndef EXITRACE_H
#define EXITRACE_H

#include "xt_state.h"
#include "xt_records.h"
#include "xt_writer.h"
#include "xt_reader.h"

#endif
