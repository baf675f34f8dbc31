// Vitals "memcached" checker: stats of a memcached server, an optional set/get round trip, and
// limits on evictions and the hit ratio. SPDX-License-Identifier: MIT
//
// Through libmemcached, Debian's memcached client, rather than text protocol written here: it
// owns the connection, the timeouts and the parsing of every reply.
#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>
#include <vitals_plugins/verdict.hpp>

#include <libmemcached/memcached.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <system_error>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;

// key, type, required, default, description, secret
constexpr vitals_param_spec memcached_params[] = {
    {"host", VITALS_PARAM_STRING, 0, "127.0.0.1",
     "Host name or address, or the absolute path of a Unix socket", 0},
    {"port", VITALS_PARAM_INT, 0, "11211", "TCP port (1-65535; unused for a Unix socket)", 0},
    {"round_trip", VITALS_PARAM_BOOL, 0, "false", "Also set a key, read it back and delete it", 0},
    {"key", VITALS_PARAM_STRING, 0, "vitals:health",
     "The key the round trip writes (a random suffix is added to each value)", 0},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when the whole exchange takes longer than this", 0},
    {"error", VITALS_PARAM_DURATION, 0, nullptr,
     "Fail when the whole exchange takes longer than this", 0},
    {"evictions_warning", VITALS_PARAM_INT, 0, nullptr,
     "Warn when the server has evicted more items than this since it started", 0},
    {"evictions_error", VITALS_PARAM_INT, 0, nullptr,
     "Fail when the server has evicted more items than this since it started", 0},
    {"hit_ratio_warning", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn when fewer than this percentage of gets hit (once there are any)", 0},
    {"hit_ratio_error", VITALS_PARAM_FLOAT, 0, nullptr,
     "Fail when fewer than this percentage of gets hit (once there are any)", 0},
    {}, // the NULL key that ends the table
};

struct MemcachedDeleter {
    void operator()(memcached_st *memc) const noexcept { memcached_free(memc); }
};
using Memcached = std::unique_ptr<memcached_st, MemcachedDeleter>;

using Stats = std::map<std::string, std::string>;

std::optional<double> number_of(const Stats &stats, const std::string &key) {
    const auto found = stats.find(key);
    if (found == stats.end()) return std::nullopt;
    const std::string &text = found->second;
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

extern "C" memcached_return_t collect_stat(const memcached_instance_st *, const char *key,
                                           size_t key_length, const char *value,
                                           size_t value_length, void *context) {
    (*static_cast<Stats *>(context))[std::string{key, key_length}] =
        std::string{value, value_length};
    return MEMCACHED_SUCCESS;
}

/// A lower or upper limit pair on one number, read and ordered at load.
struct Limits {
    std::optional<double> warning;
    std::optional<double> error;
};

// ---------------------------------------------------------------- the check

class MemcachedCheck {
public:
    explicit MemcachedCheck(const vitals::Params &params)
        : host_(params.string("host")), port_(params.integer("port")),
          round_trip_(params.boolean("round_trip")), key_(params.string("key")) {
        if (host_.empty()) params.reject("host", "must not be empty");
        unix_socket_ = host_.front() == '/';
        if (!unix_socket_ && (port_ < 1 || port_ > 65535))
            params.reject("port", "must be from 1 to 65535, got " + std::to_string(port_));
        if (key_.empty() || key_.size() > 200 ||
            key_.find_first_of(" \t\r\n\v\f") != std::string::npos)
            params.reject("key", "must be 1 to 200 characters without spaces or control "
                                 "characters (memcached's rule for keys, less room for a suffix)");
        time_ = time_limits(params, "exchange");
        evictions_ = count_limits(params);
        hit_ratio_ = ratio_limits(params);
        target_ = unix_socket_ ? host_ : endpoint_text(host_, port_);
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to connect to " + target_);
            return;
        }
        const auto start = Clock::now();
        Memcached memc{memcached_create(nullptr)};
        if (!memc) {
            run.error(target_ + ": cannot create a libmemcached handle");
            return;
        }
        if (const auto failure = configure(*memc, *deadline)) {
            run.error(target_ + ": " + *failure);
            return;
        }

        Stats stats;
        memcached_return_t rc = memcached_stat_execute(memc.get(), nullptr, collect_stat, &stats);
        if (rc != MEMCACHED_SUCCESS) {
            run.error(target_ + ": stats failed: " + failure_text(*memc, rc, start));
            return;
        }
        if (round_trip_) {
            if (const auto failure = round_trip(*memc, start)) {
                run.error(target_ + ": " + *failure);
                return;
            }
        }
        const nanoseconds took = Clock::now() - start;
        run.metric("response_time", to_seconds(took), "seconds");

        Verdict verdict;
        report_stats(run, stats, verdict);
        verdict.judge_time(time_, took);

        const auto version = stats.find("version");
        const std::string message = target_ + ": memcached " +
                                    (version == stats.end() ? "?" : version->second) +
                                    (round_trip_ ? ", set/get/delete" : ", stats") + " in " +
                                    format_duration(took) + verdict.notes;
        run.result(verdict.status, message);
    }

private:
    static std::optional<double> count_limit(const vitals::Params &params, const char *key) {
        if (!params.has(key)) return std::nullopt;
        const auto value = params.integer(key);
        if (value < 0) params.reject(key, "must not be negative, got " + std::to_string(value));
        return static_cast<double>(value);
    }

    static Limits count_limits(const vitals::Params &params) {
        const Limits limits{count_limit(params, "evictions_warning"),
                            count_limit(params, "evictions_error")};
        require_not_above(params, "evictions_warning", limits.warning, "evictions_error",
                          limits.error, [](double v) { return fixed(v, 0); });
        return limits;
    }

    static Limits ratio_limits(const vitals::Params &params) {
        Limits limits;
        if (params.has("hit_ratio_warning"))
            limits.warning = percentage(params, "hit_ratio_warning");
        if (params.has("hit_ratio_error")) limits.error = percentage(params, "hit_ratio_error");
        if (limits.warning && limits.error)
            require_not_below(
                params, "hit_ratio_warning", *limits.warning, "hit_ratio_error", *limits.error,
                [](double v) { return fixed(v, 1) + "%"; }, ": a lower hit ratio is worse");
        return limits;
    }

    /// The server, and every timeout of libmemcached set to what is left of the run: it
    /// otherwise waits its own defaults (seconds) and retries a dead server later.
    std::optional<std::string> configure(memcached_st &memc, Clock::time_point deadline) const {
        const memcached_return_t added =
            unix_socket_
                ? memcached_server_add_unix_socket(&memc, host_.c_str())
                : memcached_server_add(&memc, host_.c_str(), static_cast<in_port_t>(port_));
        if (added != MEMCACHED_SUCCESS)
            return "cannot use this server: " + after_colon(memcached_strerror(&memc, added));
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        const auto ms = static_cast<uint64_t>(std::max<std::int64_t>(left.count(), 1));
        for (const auto &[behavior, value] :
             {std::pair{MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, ms},
              std::pair{MEMCACHED_BEHAVIOR_POLL_TIMEOUT, ms},
              std::pair{MEMCACHED_BEHAVIOR_SND_TIMEOUT, ms * 1000}, // microseconds
              std::pair{MEMCACHED_BEHAVIOR_RCV_TIMEOUT, ms * 1000},
              std::pair{MEMCACHED_BEHAVIOR_NO_BLOCK, uint64_t{1}}}) {
            if (const auto rc = memcached_behavior_set(&memc, behavior, value);
                rc != MEMCACHED_SUCCESS)
                return "cannot set a timeout: " + after_colon(memcached_strerror(&memc, rc));
        }
        return std::nullopt;
    }

    /// A key written with a value of its own, read back, compared and deleted.
    std::optional<std::string> round_trip(memcached_st &memc, Clock::time_point start) const {
        static thread_local std::mt19937_64 random{std::random_device{}()};
        const std::string value = "vitals-" + std::to_string(random());
        memcached_return_t rc =
            memcached_set(&memc, key_.data(), key_.size(), value.data(), value.size(), 60, 0);
        if (rc != MEMCACHED_SUCCESS) return "set failed: " + failure_text(memc, rc, start);
        std::size_t length = 0;
        std::uint32_t flags = 0;
        char *got = memcached_get(&memc, key_.data(), key_.size(), &length, &flags, &rc);
        const std::unique_ptr<char, decltype(&std::free)> owned{got, &std::free};
        if (rc != MEMCACHED_SUCCESS) return "get failed: " + failure_text(memc, rc, start);
        if (std::string{got, length} != value)
            return "get returned another value than was set (" + std::to_string(length) +
                   " bytes): another writer uses the key \"" + key_ + "\"?";
        rc = memcached_delete(&memc, key_.data(), key_.size(), 0);
        if (rc != MEMCACHED_SUCCESS) return "delete failed: " + failure_text(memc, rc, start);
        return std::nullopt;
    }

    /// libmemcached's reason in an operator's words; a timeout says how long it waited.
    static std::string failure_text(const memcached_st &memc, memcached_return_t rc,
                                    Clock::time_point start) {
        if (rc == MEMCACHED_TIMEOUT || memcached_last_error_errno(&memc) == ETIMEDOUT)
            return "timed out after " + format_duration(Clock::now() - start);
        const int error = memcached_last_error_errno(&memc);
        std::string text = to_lower(memcached_strerror(&memc, rc));
        if (error != 0) text += " (" + describe_errno(error) + ")";
        return text;
    }

    void report_stats(vitals::Run &run, const Stats &stats, Verdict &verdict) const {
        const auto metric = [&](const char *name, const char *stat, const char *unit) {
            const auto value = number_of(stats, stat);
            if (value) run.metric(name, *value, unit);
            return value;
        };
        metric("uptime", "uptime", "seconds");
        metric("items", "curr_items", "count");
        metric("connections", "curr_connections", "count");
        metric("used", "bytes", "bytes");
        metric("limit", "limit_maxbytes", "bytes");
        const auto evictions = metric("evictions", "evictions", "count");
        const auto hits = metric("get_hits", "get_hits", "count");
        const auto misses = metric("get_misses", "get_misses", "count");

        if (evictions) {
            const std::string count = fixed(*evictions, 0) + " evictions";
            if (evictions_.error && *evictions > *evictions_.error)
                verdict.raise(vitals::Status::error,
                              count + ", more than " + fixed(*evictions_.error, 0));
            else if (evictions_.warning && *evictions > *evictions_.warning)
                verdict.raise(vitals::Status::warning,
                              count + ", more than " + fixed(*evictions_.warning, 0));
        } else if (evictions_.warning || evictions_.error) {
            verdict.raise(vitals::Status::error, "stats has no evictions to compare");
        }

        if (!hits || !misses || *hits + *misses == 0) return; // no gets yet: no ratio
        const double ratio = 100 * *hits / (*hits + *misses);
        run.metric("hit_ratio", ratio, "percent");
        const std::string shown = "hit ratio " + fixed(ratio, 1) + "%";
        if (hit_ratio_.error && ratio < *hit_ratio_.error)
            verdict.raise(vitals::Status::error,
                          shown + ", below " + fixed(*hit_ratio_.error, 1) + "%");
        else if (hit_ratio_.warning && ratio < *hit_ratio_.warning)
            verdict.raise(vitals::Status::warning,
                          shown + ", below " + fixed(*hit_ratio_.warning, 1) + "%");
    }

    std::string host_;
    std::int64_t port_;
    bool unix_socket_ = false;
    bool round_trip_;
    std::string key_;
    TimeLimits time_;
    Limits evictions_;
    Limits hit_ratio_;
    std::string target_; // "host:port" or the socket path, as every message names it
};

} // namespace

VITALS_CPP_PLUGIN(MemcachedCheck, "memcached", "0.1.0",
                  "Whether memcached answers stats (and a set/get round trip), with limits on "
                  "evictions and the hit ratio",
                  memcached_params)
