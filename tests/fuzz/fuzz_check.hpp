// Invariant checks for the fuzz targets. SPDX-License-Identifier: MIT
#pragma once

#include <cstdio>
#include <cstdlib>

/// Like assert, but never compiled out: a broken invariant is a finding, so it aborts
/// and libFuzzer saves the input that broke it.
#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)
