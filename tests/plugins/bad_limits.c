/* Test plugin whose declared limits contradict themselves, built once per defect
 * (BAD_LIMITS 1, 2, 3: a default outside its range, limits on a boolean, a choice that is
 * not text): the loader must refuse each, saying why. SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include <vitals/plugin.h>

static const char *const bad_choices[] = {"fine", "not\nfine", NULL};

static const vitals_param_spec params[] = {
#if BAD_LIMITS == 1
#define NAME "default_out_of_range"
    {.key = "port",
     .type = VITALS_PARAM_INT,
     .default_value = "0",
     .min = 1,
     .max = 65535,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
#elif BAD_LIMITS == 2
#define NAME "limits_on_bool"
    {.key = "verbose", .type = VITALS_PARAM_BOOL, .max = 1, .limits = VITALS_LIMIT_MAX},
#elif BAD_LIMITS == 3
#define NAME "choices_not_text"
    {.key = "mode", .type = VITALS_PARAM_STRING, .choices = bad_choices},
#else
#error "build with BAD_LIMITS=1, 2 or 3"
#endif
    {.key = NULL},
};

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    (void)host;
    (void)ctx;
    return malloc(1);
}
static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    (void)instance;
    host->set_result(ctx, VITALS_STATUS_OK, "should never run");
}
static void destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {
    VITALS_PLUGIN_HEADER, .name = NAME,
    .version = "1.1.0",   .description = "contradicts itself",
    .params = params,     .param_spec_size = sizeof(vitals_param_spec),
    .create = create,     .run = run,
    .destroy = destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
