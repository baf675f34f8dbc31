/* A plugin built against the 1.1 header that reports labelled, typed metrics with
 * thresholds through add_metric_ex, and a few the host must drop, each for another reason.
 * Its message says how many the host kept and dropped. SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vitals/plugin.h>

static const vitals_param_spec labelled_params[] = {
    {"requests", VITALS_PARAM_INT, 0, "42", "value of requests{method=\"get\"}", 0, 0, 0, NULL, 0},
    {NULL, 0, 0, NULL, NULL, 0, 0, 0, NULL, 0},
};

typedef struct labelled {
    long long requests;
} labelled;

static void *labelled_create(const vitals_host_api *host, vitals_context *ctx) {
    int64_t requests = 0;
    if (host->param_int(ctx, "requests", &requests) != 0) return NULL;
    labelled *self = malloc(sizeof *self);
    if (self) self->requests = requests;
    return self;
}

/* Returns 1 when the host kept the metric. */
static int report(const vitals_host_api *host, vitals_context *ctx, const vitals_metric *metric) {
    return host->add_metric_ex(ctx, metric) == 0;
}

static void labelled_run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    const labelled *self = (const labelled *)instance;
    if (!VITALS_HOST_HAS(host, add_metric_ex)) {
        host->add_metric(ctx, "requests", (double)self->requests, "");
        host->set_result(ctx, VITALS_STATUS_WARNING, "host has no add_metric_ex");
        return;
    }
    int kept = 0;
    int dropped = 0;

    const vitals_label get[] = {{"method", "get"}, {"code", "200"}};
    const vitals_label post[] = {{"method", "post"}, {"code", "200"}};
    vitals_metric requests;
    memset(&requests, 0, sizeof requests);
    requests.struct_size = sizeof requests;
    requests.kind = VITALS_METRIC_COUNTER;
    requests.name = "requests";
    requests.value = (double)self->requests;
    requests.labels = get;
    requests.label_count = 2;
    kept += report(host, ctx, &requests);
    requests.value = 7;
    requests.labels = post;
    kept += report(host, ctx, &requests);

    /* A value to escape in /metrics and JSON alike. */
    const vitals_label sensor[] = {{"sensor", "a \"b\" \\ c\nd \xc3\xa9"}};
    vitals_metric temperature;
    memset(&temperature, 0, sizeof temperature);
    temperature.struct_size = sizeof temperature;
    temperature.kind = VITALS_METRIC_GAUGE;
    temperature.name = "temperature";
    temperature.value = 61.5;
    temperature.unit = "celsius";
    temperature.labels = sensor;
    temperature.label_count = 1;
    temperature.has = VITALS_METRIC_HAS_WARN | VITALS_METRIC_HAS_CRIT | VITALS_METRIC_HAS_MIN |
                      VITALS_METRIC_HAS_MAX;
    temperature.warn = 70;
    temperature.crit = 90;
    temperature.min = -40;
    temperature.max = 150;
    kept += report(host, ctx, &temperature);

    vitals_metric latency;
    memset(&latency, 0, sizeof latency);
    latency.struct_size = sizeof latency;
    latency.name = "latency";
    latency.value = 120;
    latency.unit = "milliseconds";
    latency.has = VITALS_METRIC_HAS_WARN;
    latency.warn = 200;
    kept += report(host, ctx, &latency);

    /* Each of these is dropped, for its own reason. */
    vitals_metric bad = latency;
    bad.name = "bad-name";
    dropped += !report(host, ctx, &bad);
    bad.name = "has space";
    dropped += !report(host, ctx, &bad);
    const vitals_label agent_label[] = {{"check", "mine"}};
    bad.name = "steals_check";
    bad.labels = agent_label;
    bad.label_count = 1;
    dropped += !report(host, ctx, &bad);
    const vitals_label prometheus_label[] = {{"__name", "x"}};
    bad.name = "underscores";
    bad.labels = prometheus_label;
    dropped += !report(host, ctx, &bad);
    bad.name = "tiny";
    bad.labels = NULL;
    bad.label_count = 0;
    bad.struct_size = 8; /* smaller than any 1.1 vitals_metric */
    dropped += !report(host, ctx, &bad);
    /* add_metric (1.0) follows the same name rule. */
    host->add_metric(ctx, "cpu-load", 1, "");

    char message[64];
    snprintf(message, sizeof message, "kept %d, dropped %d", kept, dropped);
    host->set_result(ctx, VITALS_STATUS_OK, message);
}

static void labelled_destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {
    VITALS_PLUGIN_HEADER,
    "labelled",
    "1.0.0",
    "labelled, typed metrics with thresholds (ABI 1.1)",
    labelled_params,
    sizeof(vitals_param_spec),
    labelled_create,
    labelled_run,
    labelled_destroy,
    NULL,
    NULL,
    NULL,
};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
