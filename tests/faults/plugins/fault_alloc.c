/* Fault plugin: allocates and touches memory without bound, never checking malloc's result,
 * until it dies. Only ever run it under isolation = "process" with a memory_limit: the
 * `cap` (default 4 GiB) is a safety net for a misconfigured test, not part of the fault.
 * SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitals/plugin.h>

#define BLOCK_BYTES (16u * 1024 * 1024)

static const vitals_param_spec params[] = {
    {"cap", VITALS_PARAM_INT, 0, "4294967296", "bytes after which it gives up instead", 0}, {0}};

/* Every block links to the previous one from here, so no compiler can prove the
 * allocations dead and drop them. */
static void *volatile newest_block;

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    int64_t *cap = malloc(sizeof *cap);
    if (!cap) return NULL;
    if (host->param_int(ctx, "cap", cap) != 0) {
        free(cap);
        return NULL;
    }
    return cap;
}

static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    const int64_t cap = *(const int64_t *)instance;
    int64_t total = 0;
    while (total < cap) {
        void **block = malloc(BLOCK_BYTES);
        memset(block, 1, BLOCK_BYTES); /* NULL once the limit is reached: SIGSEGV */
        block[0] = newest_block;
        newest_block = block;
        total += BLOCK_BYTES;
    }
    char message[96];
    snprintf(message, sizeof message, "allocated %lld bytes and is still alive", (long long)total);
    host->set_result(ctx, VITALS_STATUS_ERROR, message);
}

static void destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {VITALS_PLUGIN_HEADER,
                                         "fault_alloc",
                                         "1.0.0",
                                         "allocates without bound",
                                         params,
                                         sizeof(vitals_param_spec),
                                         create,
                                         run,
                                         destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
