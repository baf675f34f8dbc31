// SPDX-License-Identifier: MIT
#include "checks/host_context.hpp"

#include <cmath>

#include <fmt/format.h>

#include "config/table_reader.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {
namespace {

// Length of the valid UTF-8 sequence at text[i], or 0 if it is not valid.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned min_second = 0x80, max_second = 0xBF; // excludes overlongs and surrogates
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) min_second = 0xA0;
        if (lead == 0xED) max_second = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) min_second = 0x90;
        if (lead == 0xF4) max_second = 0x8F;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    return length;
}

// Plugin text ends up in JSON, HTML and logs: keep it valid UTF-8 (bad bytes
// become U+FFFD), one line (line breaks and tabs become spaces, other control
// characters go), without the check's secrets, and bounded, cut at a character
// boundary. Redaction comes before the cut so a secret cannot be cut in half.
std::string clean_text(const char *text, std::size_t max_bytes, const Secrets *secrets = nullptr) {
    const std::string_view input{text ? text : ""};
    std::string out;
    out.reserve(std::min(input.size(), max_bytes));
    for (std::size_t i = 0; i < input.size();) {
        const std::size_t length = utf8_sequence_length(input, i);
        const std::string_view piece = length ? input.substr(i, length) : "\xEF\xBF\xBD";
        i += length ? length : 1;
        if (piece.size() == 1 &&
            (static_cast<unsigned char>(piece[0]) < 0x20 || piece[0] == 0x7f)) {
            if (piece[0] == '\n' || piece[0] == '\r' || piece[0] == '\t') out += ' ';
            continue;
        }
        out += piece;
        // Beyond this, only the cut below remains to be found.
        if (!secrets && out.size() > max_bytes) break;
        if (out.size() > max_bytes + 4 * 1024 * 1024) break; // plugins are bounded too
    }
    if (secrets) out = secrets->redact(std::move(out));
    if (out.size() <= max_bytes) return out;
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
        --cut;
    out.resize(cut);
    return out + "…";
}

} // namespace

const char *CreateContext::default_text(std::string_view key) const {
    const vitals_param_spec *spec = plugin_.find_param(key);
    return spec ? spec->default_value : nullptr;
}

void CreateContext::error(std::string_view key, std::string message) {
    message = secrets->redact(std::move(message));
    const std::string path =
        "check." + check_.name + ".params" + (key.empty() ? "" : "." + std::string{key});
    const toml::node *value = key.empty() ? nullptr : node(key);
    SourceLocation where = value ? location_of(value->source()) : check_.where;
    errors_.push_back({std::move(where), path, std::move(message)});
}

void RunContext::set_result(int32_t status, const char *message) {
    status_code_ = status;
    message_ = clean_text(message, max_message_bytes, secrets.get());
}

void RunContext::add_metric(const char *name, double value, const char *unit) {
    if (!name || !*name || !std::isfinite(value) || metrics_.size() >= max_metrics) {
        ++dropped_metrics_;
        return;
    }
    Metric metric{clean_text(name, max_metric_name_bytes, secrets.get()), value,
                  clean_text(unit, max_metric_name_bytes, secrets.get())};
    // One name, one series: a repeated name replaces the earlier value.
    for (auto &existing : metrics_) {
        if (existing.name == metric.name) {
            existing = std::move(metric);
            return;
        }
    }
    metrics_.push_back(std::move(metric));
}

CheckResult RunContext::take_result() {
    CheckResult result;
    result.metrics = std::move(metrics_);
    if (!status_code_) {
        result.status = Status::error;
        result.message = "plugin reported no result";
    } else if (const auto status = status_from_abi(*status_code_)) {
        result.status = *status;
        result.message = std::move(message_);
    } else {
        result.status = Status::error;
        result.message =
            fmt::format("plugin reported invalid status {}: {}", *status_code_, message_);
    }
    return result;
}

} // namespace vitals
