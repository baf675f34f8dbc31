// Vitals "uptime" checker, the example plugin in plain C99. SPDX-License-Identifier: MIT
//
// Start here to write a plugin in C, or in any language that can export a C function.
// This file uses all of <vitals/plugin.h> that a plugin needs: one exported entry point
// returning a static descriptor, a declared parameter table, and create/run/destroy on an
// instance the plugin owns. Read the contract at the top of plugin.h alongside it.

// strerror_r() is POSIX, not ISO C. The plugin builds in strict C99 mode (C_EXTENSIONS OFF),
// where glibc declares only ISO C unless asked for more, and this must precede every include.
#define _POSIX_C_SOURCE 200809L

#include <vitals/plugin.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SECOND INT64_C(1000000000)

// One instance exists per check in conf.d that names this plugin. The host only ever holds it
// as a void *, so its layout is the plugin's business and may change in any release.
struct uptime_check {
    // Parameters are copied out in create(): the host's values are only valid during the
    // call that handed them out, and run() cannot read parameters at all.
    int64_t min_uptime_ns;
};

// Declaring the parameters lets the host reject unknown keys, wrong types and missing required
// keys with file and line before create() runs, and print them as documentation. Defaults are
// text in the same form a user would write. A NULL key ends the table, which must stay valid
// while the library is loaded: hence static.
static const vitals_param_spec uptime_params[] = {
    {.key = "min_uptime",
     .type = VITALS_PARAM_DURATION,
     .required = 0,
     .default_value = "0s",
     .description = "Warn while the host has been up for less than this, after a reboot",
     .secret = 0},
    {.key = NULL},
};

// create() runs on the host's configuration thread, and also for `vitalsd --check-config`, so
// it only reads and validates parameters. Work that touches the system belongs in run().
static void *uptime_create(const vitals_host_api *host, vitals_context *ctx) {
    int64_t min_uptime_ns = 0;
    // Nonzero means the host has already recorded the problem, with file and line, so there is
    // nothing to add. Thanks to the declared default, an absent key still succeeds.
    if (host->param_duration_ns(ctx, "min_uptime", &min_uptime_ns) != 0) return NULL;
    // The host checks types; values that make no sense are the plugin's to reject, through
    // param_error() so the user gets the same file:line report.
    if (min_uptime_ns < 0) {
        host->param_error(ctx, "min_uptime", "must not be negative");
        return NULL;
    }
    // The plugin allocates its instance and frees it in destroy(). Memory never crosses the
    // ABI to be freed by the other side, which may use a different allocator or C runtime.
    struct uptime_check *check = malloc(sizeof *check);
    if (check == NULL) {
        host->param_error(ctx, NULL, "out of memory");
        return NULL;
    }
    check->min_uptime_ns = min_uptime_ns;
    return check;
}

// Reads whole seconds since boot from /proc/uptime; on failure returns nonzero with the reason
// in `error`. Reading an integer keeps the parse free of the process locale, which may use a
// decimal comma, and whole seconds are plenty for uptime.
static int read_uptime(int64_t *seconds, char *error, size_t error_size) {
    FILE *file = fopen("/proc/uptime", "r");
    if (file == NULL) {
        char reason[128];
        // strerror_r, not strerror: instances of this plugin may run on several threads at once,
        // and strerror may hand them all one shared buffer.
        if (strerror_r(errno, reason, sizeof reason) != 0) snprintf(reason, sizeof reason, "?");
        snprintf(error, error_size, "cannot open /proc/uptime: %s", reason);
        return -1;
    }
    const int parsed = fscanf(file, "%" SCNd64, seconds);
    fclose(file);
    if (parsed != 1) {
        snprintf(error, error_size, "cannot parse /proc/uptime");
        return -1;
    }
    return 0;
}

// "up 3 d 4 h": coarse on purpose, for people; the metric carries the exact value.
static void format_uptime(int64_t seconds, char *out, size_t size) {
    const int64_t days = seconds / 86400;
    const int64_t hours = seconds % 86400 / 3600;
    const int64_t minutes = seconds % 3600 / 60;
    if (days > 0)
        snprintf(out, size, "up %" PRId64 " d %" PRId64 " h", days, hours);
    else if (hours > 0)
        snprintf(out, size, "up %" PRId64 " h %" PRId64 " min", hours, minutes);
    else
        snprintf(out, size, "up %" PRId64 " min %" PRId64 " s", minutes, seconds % 60);
}

// run() is called on a scheduler worker, never on two threads at once for one instance, but
// possibly alongside other instances: everything it touches is either the instance or local.
// It reports through the host, which copies each string before returning, so stack buffers
// are fine.
static void uptime_run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    const struct uptime_check *check = instance;
    char message[256];
    int64_t seconds = 0;
    if (read_uptime(&seconds, message, sizeof message) != 0) {
        host->set_result(ctx, VITALS_STATUS_ERROR, message);
        return;
    }
    host->add_metric(ctx, "uptime", (double)seconds, "seconds");
    if (seconds * NS_PER_SECOND < check->min_uptime_ns) {
        snprintf(message, sizeof message,
                 "host rebooted %" PRId64 " s ago (min_uptime is %" PRId64 " s)", seconds,
                 check->min_uptime_ns / NS_PER_SECOND);
        host->set_result(ctx, VITALS_STATUS_WARNING, message);
        return;
    }
    format_uptime(seconds, message, sizeof message);
    host->set_result(ctx, VITALS_STATUS_OK, message);
}

// destroy() is the last call on an instance, on the configuration thread; it gets no host
// table because there is nothing left to report.
static void uptime_destroy(void *instance) {
    free(instance);
}

// The descriptor must outlive every call into the plugin, so it is static; it is const because
// the host may read it from several threads at once. VITALS_PLUGIN_HEADER fills in the ABI
// version and this struct's size, which is how the host tells which header we were built with.
static const vitals_plugin uptime_plugin = {
    VITALS_PLUGIN_HEADER,
    .name = "uptime",
    .version = "0.1.0",
    .description = "How long the host has been up; warns after a recent reboot",
    .params = uptime_params,
    .param_spec_size = (uint32_t)sizeof(vitals_param_spec),
    .create = uptime_create,
    .run = uptime_run,
    .destroy = uptime_destroy,
};

// The one exported symbol; plugin.h declares it with default visibility. Everything else above
// is static, and the build's version script hides whatever a compiler might still export, so
// two plugins can never clash over a name.
const vitals_plugin *vitals_plugin_entry(void) {
    return &uptime_plugin;
}
