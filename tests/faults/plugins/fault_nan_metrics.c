/* Fault plugin: NaN and infinite metrics next to one finite metric. SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>

#include <vitals/plugin.h>

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    (void)host;
    (void)ctx;
    return malloc(1);
}

static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    (void)instance;
    host->add_metric(ctx, "not_a_number", NAN, "");
    host->add_metric(ctx, "plus_infinity", INFINITY, "");
    host->add_metric(ctx, "minus_infinity", -INFINITY, "");
    host->add_metric(ctx, "finite", 1.5, "seconds");
    host->set_result(ctx, VITALS_STATUS_OK, "reported NaN and infinities");
}

static void destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {VITALS_PLUGIN_HEADER,
                                         "fault_nan_metrics",
                                         "1.0.0",
                                         "reports NaN and infinite metrics",
                                         NULL,
                                         sizeof(vitals_param_spec),
                                         create,
                                         run,
                                         destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
