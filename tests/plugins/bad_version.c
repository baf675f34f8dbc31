/* Test plugin whose version string holds a quote, a newline and a byte that is not
 * UTF-8: printed as it is, it broke every /metrics scrape. The loader must refuse it
 * before any of its functions is called. SPDX-License-Identifier: MIT */
#include <stddef.h>

#include <vitals/plugin.h>

static void *never_created(const vitals_host_api *host, vitals_context *ctx) {
    (void)host, (void)ctx;
    return NULL;
}
static void never_run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    (void)instance, (void)host, (void)ctx;
}
static void never_destroyed(void *instance) {
    (void)instance;
}

static const vitals_plugin descriptor = {
    VITALS_PLUGIN_HEADER, "bad_version", "1.0\"} 1\nvitals_fake 1\xff",
    "not text",           NULL,          0,
    never_created,        never_run,     never_destroyed};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
