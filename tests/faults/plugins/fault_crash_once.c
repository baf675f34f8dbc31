/* Fault plugin: the first run() anywhere creates the `marker` file and crashes with SIGSEGV;
 * every later run (in a new worker) finds the file and reports ok. SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vitals/plugin.h>

static const vitals_param_spec params[] = {
    {"marker", VITALS_PARAM_STRING, 1, NULL, "file whose absence means: crash", 0}, {0}};

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    const char *marker = NULL;
    if (host->param_string(ctx, "marker", &marker) != 0) return NULL;
    return strdup(marker);
}

static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    const char *marker = instance;
    if (access(marker, F_OK) != 0) {
        const int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) close(fd);
        volatile int *volatile nowhere = NULL;
        *nowhere = 42;
    }
    host->set_result(ctx, VITALS_STATUS_OK, "recovered");
}

static void destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {VITALS_PLUGIN_HEADER,
                                         "fault_crash_once",
                                         "1.0.0",
                                         "crashes on its first run only",
                                         params,
                                         sizeof(vitals_param_spec),
                                         create,
                                         run,
                                         destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
