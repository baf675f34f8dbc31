/* Vitals checker plugin ABI, version 1.1. SPDX-License-Identifier: MIT */
#ifndef VITALS_PLUGIN_H
#define VITALS_PLUGIN_H

/*
 * This header is the whole contract between the Vitals agent (the host) and a
 * checker plugin. It is plain C99 so a plugin can be written in any language
 * that can export a C function; C++ authors usually prefer the thin wrapper in
 * <vitals/plugin.hpp>.
 *
 * LIFECYCLE
 *   1. The host dlopen()s the shared library and calls the one exported
 *      symbol, vitals_plugin_entry(), which returns a pointer to a static
 *      vitals_plugin descriptor. The descriptor must stay valid and unchanged
 *      for as long as the library is loaded.
 *   2. For every check in conf.d that names this plugin, the host calls
 *      create() once. create() reads the check's parameters through the host
 *      table, validates them and returns an opaque instance (or NULL).
 *   3. On every scheduled run the host calls run() with that instance. run()
 *      reports its outcome with host->set_result() and host->add_metric().
 *   4. When the check goes away (shutdown, or a configuration without it) the
 *      host calls destroy() once. No other call follows on that instance.
 *   Since 1.1 a plugin may also declare init() and deinit(): the host calls
 *   init() once after loading the library, before any create(), and deinit()
 *   once after the last destroy(), before unloading it. And destroy_ex()
 *   replaces destroy() where set, so that releasing an instance can log.
 *
 * THREADS
 *   - The host never runs one instance on two threads at once: calls on one
 *     instance are serialised, though not always on the same thread.
 *   - Different instances (of the same plugin or not) may run in parallel.
 *     Any state shared between instances (globals, statics) must be
 *     thread-safe.
 *   - init(), deinit(), create() and destroy() are called on the host's
 *     configuration thread; run() on a scheduler worker. Each host function below names where it
 *     may be called.
 *
 * MEMORY AND ERRORS
 *   - Nothing allocated on one side is ever freed on the other. Strings the
 *     host hands out (parameter values) are owned by the host and valid until
 *     the current call returns: copy what you keep. Strings the plugin passes
 *     to the host (messages, metric names) are copied by the host before the
 *     host function returns.
 *   - No exception, longjmp or other non-local exit may cross this boundary.
 *     Errors travel as return codes plus a message the host records.
 *   - create() must not block on I/O (connect in run(), not in create()):
 *     `vitalsd --check-config` creates every instance to validate parameters.
 *
 * VERSIONING
 *   - Both structs begin with abi_major and abi_minor; those two members keep
 *     their place in every future major version, so a mismatch can always be
 *     read and reported.
 *   - abi_major changes only when the ABI breaks. The host refuses a plugin
 *     whose abi_major differs from its own, with a message naming both
 *     versions, e.g. "agent ABI 1.0, plugin ABI 2.0".
 *   - abi_minor grows when fields are appended. Within one major version,
 *     structs only ever grow at the end, and each carries its own size in
 *     struct_size, so either side can tell what the other knows:
 *       - a plugin built against an older header has a smaller descriptor;
 *         the host treats the missing trailing fields as zero/NULL;
 *       - a plugin built against a newer header has a larger descriptor; the
 *         host reads only the fields it knows;
 *       - a plugin must check host->struct_size (or VITALS_HOST_HAS) before
 *         calling a host function added after 1.0.
 *   - New members go at the END of each struct, grouped by the minor version
 *     that added them. Never reorder, remove or retype a member.
 *
 * RATIONALE
 *   One exported entry (and nothing else visible) keeps symbol clashes
 *   between plugins impossible. The host owns all result memory so a plugin
 *   built with another allocator or C runtime cannot corrupt the agent. The
 *   host validates parameters against the plugin's declared table before
 *   create(), so operators get "file:line: key: message" errors for plugin
 *   parameters just as for the agent's own keys.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VITALS_ABI_MAJOR 1
#define VITALS_ABI_MINOR 1

/* The exported entry symbol's name, for hosts that look it up by string. */
#define VITALS_PLUGIN_ENTRY_SYMBOL "vitals_plugin_entry"

#if defined(_WIN32)
#define VITALS_PLUGIN_EXPORT __declspec(dllexport)
#else
#define VITALS_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* Check outcome. Numeric values are part of the ABI. */
typedef enum vitals_status {
    VITALS_STATUS_OK = 0,
    VITALS_STATUS_WARNING = 1,
    VITALS_STATUS_ERROR = 2
} vitals_status;

typedef enum vitals_log_level {
    VITALS_LOG_DEBUG = 0,
    VITALS_LOG_INFO = 1,
    VITALS_LOG_WARNING = 2,
    VITALS_LOG_ERROR = 3
} vitals_log_level;

/* Parameter value types, used both in the declared table and the getters. */
typedef enum vitals_param_type {
    VITALS_PARAM_STRING = 1,
    VITALS_PARAM_INT = 2,
    VITALS_PARAM_FLOAT = 3, /* accepts TOML integers too */
    VITALS_PARAM_BOOL = 4,
    VITALS_PARAM_DURATION = 5, /* TOML string such as "500ms", "10s", "1m30s" */
    VITALS_PARAM_STRING_LIST = 6
} vitals_param_type;

/* Opaque handle naming the current check and call. Only valid during the
 * init()/create()/run()/destroy()/deinit() call it was passed to. */
typedef struct vitals_context vitals_context;

/*
 * One declared parameter. A plugin lists its parameters in a static array
 * ending with an entry whose key is NULL. With a table present, the host
 * rejects unknown keys, wrong types and missing required keys (naming file,
 * line and key) before create() is called. Without a table (params == NULL)
 * any key is accepted and only the getters check types.
 *
 * Write the table with designated initialisers ({.key = "port", .type =
 * VITALS_PARAM_INT, ...}; in C++, vitals::Param): a positional 1.0-style row
 * still compiles to the same thing, but -Wextra warns about each 1.1 member
 * it leaves out.
 */
/* Which of a parameter's declared limits apply (vitals_param_spec.limits). */
#define VITALS_LIMIT_MIN 1u /* the value must be >= min */
#define VITALS_LIMIT_MAX 2u /* the value must be <= max */

typedef struct vitals_param_spec {
    const char *key;           /* NULL ends the table */
    int32_t type;              /* a vitals_param_type */
    int32_t required;          /* nonzero: the check must set it */
    const char *default_value; /* text form used when absent, or NULL; for
                                  lists, items separated by commas */
    const char *description;   /* one line, shown by `vitalsd describe` */
    int32_t secret;            /* nonzero: never logged or shown; the host
                                  redacts the value (and, for a "NAME=value"
                                  or "Name: value" list item, the value alone)
                                  from all the plugin says */

    /* ---- 1.1 ---- (the host reads these only when the plugin's
     * param_spec_size covers them; the doubles come first so that none of
     * them falls in the padding a 1.0 compiler left after `secret`) */
    double min;                  /* with VITALS_LIMIT_MIN: smallest allowed value; */
    double max;                  /* with VITALS_LIMIT_MAX: largest. For INT and FLOAT
                                    the value itself, for DURATION in seconds. */
    const char *const *choices;  /* NULL, or a NULL-ended list of the values a
                                    STRING (or each STRING_LIST item) may take */
    uint32_t limits;             /* VITALS_LIMIT_* bits. A 1.1 host refuses,
                                    at load, a table that contradicts itself
                                    (a default outside its limits, limits on a
                                    BOOL or STRING, min above max, ...); a 1.0
                                    host ignores all four members. */
} vitals_param_spec;

/* A metric's kind (vitals_metric.kind). */
typedef enum vitals_metric_kind {
    VITALS_METRIC_GAUGE = 0,  /* a value that goes up and down */
    VITALS_METRIC_COUNTER = 1 /* a total that only grows (resets when the
                                 thing counted restarts) */
} vitals_metric_kind;

/* One label of a metric: a name following Prometheus' rules
 * ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__") and any text value. */
typedef struct vitals_label {
    const char *name;
    const char *value;
} vitals_label;

/* Which of a metric's optional numbers are set (vitals_metric.has). */
#define VITALS_METRIC_HAS_WARN 1u /* the warning threshold, as Nagios perfdata's warn */
#define VITALS_METRIC_HAS_CRIT 2u /* the error threshold, as perfdata's crit */
#define VITALS_METRIC_HAS_MIN 4u  /* the smallest value it can take */
#define VITALS_METRIC_HAS_MAX 8u  /* the largest */

/* A measurement with labels, a kind and thresholds, for add_metric_ex().
 * Set struct_size to sizeof(vitals_metric); zero what you do not use. */
typedef struct vitals_metric {
    uint32_t struct_size; /* sizeof(vitals_metric) in the plugin */
    int32_t kind;         /* a vitals_metric_kind */
    const char *name;     /* as add_metric's: [a-zA-Z_][a-zA-Z0-9_]* */
    double value;         /* non-finite values are dropped */
    const char *unit;     /* as add_metric's, or NULL */
    const vitals_label *labels; /* label_count labels, or NULL */
    size_t label_count;
    uint32_t has; /* VITALS_METRIC_HAS_* bits for the four below */
    double warn;
    double crit;
    double min;
    double max;
} vitals_metric;

/* What the host knows about the current call's check, read-only. Returned by
 * run_info(); owned by the host and valid until the current call returns.
 * Read a member only when struct_size covers it (VITALS_HAS). */
typedef struct vitals_run_info {
    uint32_t struct_size;    /* sizeof(vitals_run_info) in the host */
    int32_t previous_status; /* the last reported vitals_status, or -1 if none
                                (always -1 outside run()) */
    const char *check_name;  /* the check's name in conf.d */
    int64_t interval_ns;     /* how often the check runs */
    int64_t timeout_ns;      /* how long one run may take */
    uint32_t attempt;        /* in run(): 1, plus the number of consecutive
                                non-ok results just before this run; 0
                                outside run() */
} vitals_run_info;

/* Whether a struct that carries its size has a member, for members added
 * after the struct's first version. */
#define VITALS_HAS(pointer, type, member)                                                          \
    ((pointer)->struct_size >= offsetof(type, member) + sizeof((pointer)->member))

/*
 * The services the host offers, passed to every create() and run(). The
 * table is owned by the host and stays valid while the library is loaded.
 *
 * Return codes: getters return 0 on success. On failure they return nonzero
 * and the host has already recorded an error naming the file, line and key;
 * create() should then return NULL (it may read further parameters first so
 * that every problem is reported at once).
 */
typedef struct vitals_host_api {
    uint32_t abi_major;   /* VITALS_ABI_MAJOR of the host */
    uint32_t abi_minor;   /* VITALS_ABI_MINOR of the host */
    uint32_t struct_size; /* sizeof(vitals_host_api) in the host */

    /* ---- 1.0 ---- */

    /* [any call] Log one line, prefixed by the host with the check name
     * (with the plugin's name in init() and deinit()).
     * The host cleans it as it does result messages: line breaks become
     * spaces, ESC and other control characters go, invalid UTF-8 becomes
     * U+FFFD, secrets are redacted. */
    void (*log)(vitals_context *ctx, int32_t level, const char *message);

    /* [create] 1 if the check sets `key` (or the table gives it a default). */
    int (*param_has)(vitals_context *ctx, const char *key);
    /* [create] Getters. A missing key falls back to the declared default;
     * missing with no default, or of another type, is an error. */
    int (*param_string)(vitals_context *ctx, const char *key, const char **out);
    int (*param_int)(vitals_context *ctx, const char *key, int64_t *out);
    int (*param_float)(vitals_context *ctx, const char *key, double *out);
    int (*param_bool)(vitals_context *ctx, const char *key, int *out);
    int (*param_duration_ns)(vitals_context *ctx, const char *key, int64_t *out);
    /* *items points to *count host-owned strings. */
    int (*param_string_list)(vitals_context *ctx, const char *key, const char *const **items,
                             size_t *count);
    /* [create] Reject a parameter's value (key may be NULL for the check as
     * a whole); the host reports it with the key's file and line. */
    void (*param_error)(vitals_context *ctx, const char *key, const char *message);

    /* [run] Nanoseconds left before this run's timeout; <= 0 means the host
     * has already recorded the run as timed out and will ignore its result. */
    int64_t (*time_left_ns)(vitals_context *ctx);
    /* [run] Set the outcome. A later call replaces an earlier one. A run that
     * never calls it is recorded as an error. */
    void (*set_result)(vitals_context *ctx, int32_t status, const char *message);
    /* [run] Attach a measurement. name follows Prometheus' rule
     * [a-zA-Z_][a-zA-Z0-9_]* (at most 128 bytes); other names are dropped and
     * logged. unit is free text such as "percent", "seconds", "bytes" (may be
     * NULL or ""). Non-finite values are dropped. */
    void (*add_metric)(vitals_context *ctx, const char *name, double value, const char *unit);

    /* ---- 1.1 ---- (check VITALS_HOST_HAS before calling) */

    /* [run] Attach a measurement with a kind, labels and thresholds. Returns
     * 0 if it was kept; nonzero if it was dropped (a bad name or label, a
     * label named as one of the agent's or the check's own, a non-finite
     * value, too many metrics or labels), after the host logged why, once per
     * check, metric and reason. The Vitals agent keeps up to 16 labels per
     * metric and 256 bytes of each value. One name with one set of labels is
     * one series: reporting it again in the same run replaces the value. */
    int32_t (*add_metric_ex)(vitals_context *ctx, const vitals_metric *metric);
    /* [create, run, destroy] The current check's name, schedule and, in
     * run(), attempt and previous status. Never NULL. */
    const vitals_run_info *(*run_info)(vitals_context *ctx);
    /* [run] A file descriptor that becomes readable (POLLIN) when this run's
     * time is up, for poll()/select() beside the plugin's own sockets. Owned
     * by the host: never read, write or close it. Valid until run() returns.
     * -1 if the host could not make one (then use time_left_ns). */
    int (*cancel_fd)(vitals_context *ctx);

    /* New members go here, after a "---- 1.2 ----" marker. */
} vitals_host_api;

/* Whether the host table has a member (for members added after 1.0). */
#define VITALS_HOST_HAS(host, member) VITALS_HAS(host, vitals_host_api, member)

/*
 * The plugin descriptor returned by the entry point. Start its initialiser
 * with VITALS_PLUGIN_HEADER so the version and size are always right.
 */
typedef struct vitals_plugin {
    uint32_t abi_major;   /* VITALS_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;   /* VITALS_ABI_MINOR the plugin was built with */
    uint32_t struct_size; /* sizeof(vitals_plugin) in the plugin */

    /* ---- 1.0 ---- */
    const char *name;        /* the `plugin = "..."` name in conf.d */
    const char *version;     /* the plugin's own version, free text */
    const char *description; /* one line */

    const vitals_param_spec *params; /* NULL-key-terminated, or NULL */
    uint32_t param_spec_size;        /* sizeof(vitals_param_spec) */

    /* Build an instance from the check's parameters; NULL on failure, after
     * reporting why through the param getters or param_error. */
    void *(*create)(const vitals_host_api *host, vitals_context *ctx);
    /* Run the check once; report with host->set_result/add_metric. */
    void (*run)(void *instance, const vitals_host_api *host, vitals_context *ctx);
    /* Release the instance. May be NULL when destroy_ex is set (a 1.0 agent
     * then refuses the plugin, saying it lacks destroy). */
    void (*destroy)(void *instance);

    /* ---- 1.1 ---- (each may be NULL) */

    /* Once per loaded library, before any create(), in each process that
     * creates instances (with isolation = "process", in the check's worker):
     * set up what every instance shares. plugin_path is the file the
     * operator installed. Nonzero refuses the plugin (log why first); no
     * deinit() follows. Bounded like create(): it counts against the time
     * the first check's create() is given. */
    int32_t (*init)(const vitals_host_api *host, vitals_context *ctx, const char *plugin_path);
    /* Once, after the last destroy() and before the library is unloaded.
     * If instances are created again while it is still loaded (a reload),
     * init() runs again first: the two always come in pairs. */
    void (*deinit)(const vitals_host_api *host, vitals_context *ctx);
    /* Release the instance, with a context to log through. Called instead
     * of destroy() when set. */
    void (*destroy_ex)(void *instance, const vitals_host_api *host, vitals_context *ctx);

    /* New members go here, after a "---- 1.2 ----" marker. */
} vitals_plugin;

#ifdef __cplusplus
#define VITALS_PLUGIN_HEADER                                                                       \
    VITALS_ABI_MAJOR, VITALS_ABI_MINOR, static_cast<uint32_t>(sizeof(vitals_plugin))
#else
#define VITALS_PLUGIN_HEADER VITALS_ABI_MAJOR, VITALS_ABI_MINOR, (uint32_t)sizeof(vitals_plugin)
#endif

/* The one symbol a plugin exports, declared here so the compiler checks the
 * plugin's definition. [any thread, any number of times] */
VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void);
typedef const vitals_plugin *(*vitals_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* VITALS_PLUGIN_H */
