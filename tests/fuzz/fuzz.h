/* SPDX-License-Identifier: MIT */
/*
 * The entry points shared by exitrace's fuzz targets, the libFuzzer binary
 * and the corpus driver.  Each target file defines LLVMFuzzerTestOneInput;
 * the fuzzer build links it with libFuzzer, the ordinary build with
 * corpus_driver.c, so the same function replays the committed corpus.
 */
#ifndef XT_FUZZ_H
#define XT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Run one input; 0 always (a broken promise aborts, which libFuzzer reports). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Provided by libFuzzer: its own mutations, for a custom mutator to fall back on. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
				 size_t size2, uint8_t *out, size_t max_out_size,
				 unsigned int seed);

#endif
