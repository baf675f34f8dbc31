// SPDX-License-Identifier: MIT
#include "isolation/wire.hpp"

#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace vitals::wire {
namespace {

enum class Kind : std::uint8_t { create = 1, run = 2, created = 3, result = 4 };

class Writer {
public:
    Writer() { bytes_.resize(frame_prefix_bytes); }

    template <class T> void put(T value) {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto at = bytes_.size();
        bytes_.resize(at + sizeof value);
        std::memcpy(bytes_.data() + at, &value, sizeof value);
    }
    void put(std::string_view text) {
        put(static_cast<std::uint32_t>(text.size()));
        bytes_.append(text);
    }
    void put(Duration duration) { put(static_cast<std::int64_t>(duration.count())); }

    std::string frame() && {
        const auto length = static_cast<std::uint32_t>(bytes_.size() - frame_prefix_bytes);
        std::memcpy(bytes_.data(), &length, sizeof length);
        return std::move(bytes_);
    }

private:
    std::string bytes_;
};

struct Malformed : std::runtime_error {
    Malformed() : std::runtime_error("malformed message") {}
};

class Reader {
public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}

    template <class T> T get() {
        static_assert(std::is_trivially_copyable_v<T>);
        T value;
        std::memcpy(&value, take(sizeof value).data(), sizeof value);
        return value;
    }
    std::string text() { return std::string{take(get<std::uint32_t>())}; }
    Duration duration() { return Duration{get<std::int64_t>()}; }
    bool done() const { return bytes_.empty(); }

private:
    std::string_view take(std::size_t n) {
        if (n > bytes_.size()) throw Malformed{};
        const auto piece = bytes_.substr(0, n);
        bytes_.remove_prefix(n);
        return piece;
    }

    std::string_view bytes_;
};

void put_labels(Writer &out, const Labels &labels) {
    out.put(static_cast<std::uint32_t>(labels.size()));
    for (const auto &[name, value] : labels) {
        out.put(std::string_view{name});
        out.put(std::string_view{value});
    }
}

Labels read_labels(Reader &in) {
    Labels labels;
    for (auto count = in.get<std::uint32_t>(); count > 0; --count) {
        auto name = in.text();
        labels.insert_or_assign(std::move(name), in.text());
    }
    return labels;
}

/// The 1.1 members: kind, labels and thresholds, each threshold behind a presence bit.
enum ThresholdBit : std::uint8_t { has_warn = 1, has_crit = 2, has_min = 4, has_max = 8 };

void put_metric(Writer &out, const Metric &metric) {
    out.put(std::string_view{metric.name});
    out.put(metric.value);
    out.put(std::string_view{metric.unit});
    out.put(static_cast<std::uint8_t>(metric.kind));
    put_labels(out, metric.labels);
    const std::pair<std::uint8_t, const std::optional<double> *> thresholds[] = {
        {has_warn, &metric.warn},
        {has_crit, &metric.crit},
        {has_min, &metric.min},
        {has_max, &metric.max}};
    std::uint8_t present = 0;
    for (const auto &[bit, value] : thresholds)
        if (value->has_value()) present |= bit;
    out.put(present);
    for (const auto &[bit, value] : thresholds)
        if (value->has_value()) out.put(**value);
}

Metric read_metric(Reader &in) {
    Metric metric;
    metric.name = in.text();
    metric.value = in.get<double>();
    metric.unit = in.text();
    const auto kind = in.get<std::uint8_t>();
    if (kind > static_cast<std::uint8_t>(MetricKind::counter)) throw Malformed{};
    metric.kind = static_cast<MetricKind>(kind);
    metric.labels = read_labels(in);
    const auto present = in.get<std::uint8_t>();
    const std::pair<std::uint8_t, std::optional<double> *> thresholds[] = {{has_warn, &metric.warn},
                                                                           {has_crit, &metric.crit},
                                                                           {has_min, &metric.min},
                                                                           {has_max, &metric.max}};
    for (const auto &[bit, value] : thresholds)
        if (present & bit) *value = in.get<double>();
    return metric;
}

void write(Writer &out, const CreateRequest &request) {
    out.put(Kind::create);
    out.put(std::string_view{request.plugin_file});
    out.put(std::string_view{request.check_name});
    out.put(std::string_view{request.params_toml});
    out.put(request.interval);
    out.put(request.timeout);
    out.put(request.memory_limit);
    out.put(request.cpu_time_limit);
    out.put(request.log_level);
    out.put(static_cast<std::uint32_t>(request.secret_params.size()));
    for (const auto &key : request.secret_params)
        out.put(std::string_view{key});
    put_labels(out, request.labels);
}

void write(Writer &out, const RunRequest &request) {
    out.put(Kind::run);
    out.put(request.time_left);
    out.put(request.previous_status);
    out.put(request.failures_in_a_row);
}

void write(Writer &out, const CreateReply &reply) {
    out.put(Kind::created);
    out.put(static_cast<std::uint32_t>(reply.problems.size()));
    for (const auto &problem : reply.problems) {
        out.put(std::string_view{problem.key});
        out.put(std::string_view{problem.message});
    }
}

void write(Writer &out, const RunReply &reply) {
    const CheckResult &result = reply.result;
    out.put(Kind::result);
    out.put(static_cast<std::uint8_t>(result.status));
    out.put(std::string_view{result.message});
    out.put(result.duration);
    out.put(static_cast<std::uint32_t>(result.metrics.size()));
    for (const auto &metric : result.metrics)
        put_metric(out, metric);
}

Message read(Reader &in) {
    switch (in.get<Kind>()) {
    case Kind::create: {
        CreateRequest request;
        request.plugin_file = in.text();
        request.check_name = in.text();
        request.params_toml = in.text();
        request.interval = in.duration();
        request.timeout = in.duration();
        request.memory_limit = in.get<std::uint64_t>();
        request.cpu_time_limit = in.duration();
        request.log_level = in.get<std::int32_t>();
        for (auto keys = in.get<std::uint32_t>(); keys > 0; --keys)
            request.secret_params.push_back(in.text());
        request.labels = read_labels(in);
        return request;
    }
    case Kind::run: {
        RunRequest request;
        request.time_left = in.duration();
        request.previous_status = in.get<std::int32_t>();
        request.failures_in_a_row = in.get<std::uint32_t>();
        return request;
    }
    case Kind::created: {
        CreateReply reply;
        const auto count = in.get<std::uint32_t>();
        for (std::uint32_t i = 0; i < count; ++i) {
            auto key = in.text();
            reply.problems.push_back({std::move(key), in.text()});
        }
        return reply;
    }
    case Kind::result: {
        RunReply reply;
        CheckResult &result = reply.result;
        const auto status = in.get<std::uint8_t>();
        if (status > static_cast<std::uint8_t>(Status::error)) throw Malformed{};
        result.status = static_cast<Status>(status);
        result.message = in.text();
        result.duration = in.duration();
        const auto count = in.get<std::uint32_t>();
        for (std::uint32_t i = 0; i < count; ++i)
            result.metrics.push_back(read_metric(in));
        return reply;
    }
    }
    throw Malformed{};
}

} // namespace

std::string encode(const Message &message) {
    Writer out;
    std::visit([&](const auto &typed) { write(out, typed); }, message);
    return std::move(out).frame();
}

std::optional<Message> decode(std::string_view payload) {
    try {
        Reader in{payload};
        Message message = read(in);
        if (!in.done()) return std::nullopt;
        return message;
    } catch (const Malformed &) {
        return std::nullopt;
    }
}

std::uint32_t frame_length(const char *prefix) {
    std::uint32_t length = 0;
    std::memcpy(&length, prefix, sizeof length);
    return length;
}

} // namespace vitals::wire
