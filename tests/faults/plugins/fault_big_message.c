/* Fault plugin: a 1 MiB result message, "big" then two-byte characters, so the host's cut
 * at 4 KiB falls in the middle of one. SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <vitals/plugin.h>

#define MESSAGE_BYTES (1024 * 1024)

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    (void)host;
    (void)ctx;
    char *message = malloc(MESSAGE_BYTES + 1);
    if (!message) return NULL;
    memcpy(message, "big", 3);
    size_t at = 3;
    while (at + 2 <= MESSAGE_BYTES) {
        message[at++] = (char)0xC3; /* U+00E9 é */
        message[at++] = (char)0xA9;
    }
    message[at] = '\0';
    return message;
}

static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    host->set_result(ctx, VITALS_STATUS_WARNING, instance);
}

static void destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {VITALS_PLUGIN_HEADER,
                                         "fault_big_message",
                                         "1.0.0",
                                         "reports a 1 MiB message",
                                         NULL,
                                         sizeof(vitals_param_spec),
                                         create,
                                         run,
                                         destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
