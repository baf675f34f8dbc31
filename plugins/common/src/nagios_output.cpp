// Nagios plugin output parsing. SPDX-License-Identifier: MIT
#include <vitals_plugins/nagios_output.hpp>
#include <vitals_plugins/text.hpp>

#include <array>
#include <charconv>
#include <map>
#include <set>
#include <system_error>
#include <utility>

namespace vitals::plugins {
namespace {

/// White space as plugins print it: C's isspace() in the "C" locale.
constexpr std::string_view white_space = " \t\n\r\v\f";

bool is_space(char c) {
    return white_space.find(c) != std::string_view::npos;
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/// Length of the decimal number at the start of `text` ("-1.5e3ms" -> 6), 0 if none. Only
/// the forms plugins print: no "inf", "nan" or hex, which from_chars would also accept.
std::size_t number_length(std::string_view text) {
    std::size_t i = 0;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    std::size_t digits = 0;
    while (i < text.size() && is_digit(text[i]))
        ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_digit(text[i]))
            ++i, ++digits;
    }
    if (digits == 0) return 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < text.size() && (text[j] == '-' || text[j] == '+')) ++j;
        if (j < text.size() && is_digit(text[j])) {
            while (j < text.size() && is_digit(text[j]))
                ++j;
            i = j;
        }
    }
    return i;
}

std::optional<double> to_number(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1); // from_chars refuses '+'
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

/// A whole field that must be a plain number (min and max): empty or junk gives nullopt.
std::optional<double> whole_number(std::string_view text) {
    if (text.empty() || number_length(text) != text.size()) return std::nullopt;
    return to_number(text);
}

/// Splits "a;b;c" into its fields.
std::vector<std::string_view> split_fields(std::string_view text) {
    std::vector<std::string_view> fields;
    while (true) {
        const auto semicolon = text.find(';');
        fields.push_back(text.substr(0, semicolon));
        if (semicolon == std::string_view::npos) break;
        text.remove_prefix(semicolon + 1);
    }
    return fields;
}

/// Parses "value[UOM];warn;crit;min;max" for `label`; nullopt with `why` set if invalid.
std::optional<PerfItem> parse_item(std::string label, std::string_view data, std::string &why) {
    const auto fields = split_fields(data);
    const std::string_view first = fields[0];
    if (first == "U") {
        why = "undetermined value 'U'";
        return std::nullopt;
    }
    const std::size_t length = number_length(first);
    const auto value = length ? to_number(first.substr(0, length)) : std::nullopt;
    if (!value) {
        why = "value '" + std::string{first} + "' is not a number";
        return std::nullopt;
    }
    PerfItem item;
    item.label = std::move(label);
    item.value = *value;
    item.uom = first.substr(length);
    if (!unit_for_uom(item.uom)) {
        why = "unknown unit of measurement '" + item.uom + "'";
        return std::nullopt;
    }
    // Thresholds and bounds are optional and may be junk without making the value wrong.
    if (fields.size() > 1) item.warn = fields[1];
    if (fields.size() > 2) item.crit = fields[2];
    if (fields.size() > 3) item.min = whole_number(fields[3]);
    if (fields.size() > 4) item.max = whole_number(fields[4]);
    return item;
}

/// Appends `line` to `text`, newline-separated.
void append_line(std::string &text, std::string_view line) {
    if (!text.empty()) text += '\n';
    text += line;
}

} // namespace

std::vector<PerfItem> parse_perfdata(std::string_view text, std::vector<std::string> *skipped) {
    std::vector<PerfItem> items;
    const auto skip = [&](std::string why) {
        if (skipped) skipped->push_back(std::move(why));
    };
    std::size_t i = 0;
    const auto skip_token = [&] {
        while (i < text.size() && !is_space(text[i]))
            ++i;
    };
    while (true) {
        while (i < text.size() && is_space(text[i]))
            ++i;
        if (i >= text.size()) break;
        const std::size_t token_start = i;

        std::string label;
        if (text[i] == '\'') {
            // 'quoted label' with '' standing for one quote; spaces and '=' allowed inside.
            bool closed = false;
            for (++i; i < text.size(); ++i) {
                if (text[i] != '\'') {
                    label += text[i];
                } else if (i + 1 < text.size() && text[i + 1] == '\'') {
                    label += '\'';
                    ++i;
                } else {
                    closed = true;
                    ++i;
                    break;
                }
            }
            if (!closed) {
                // Where the label was meant to end is anyone's guess: nothing after it counts.
                skip("unterminated quoted label");
                break;
            }
            if (i >= text.size() || text[i] != '=') {
                skip_token();
                skip("'" + std::string{text.substr(token_start, i - token_start)} +
                     "' has no '=' after its label");
                continue;
            }
        } else {
            while (i < text.size() && text[i] != '=' && !is_space(text[i]))
                label += text[i++];
            if (i >= text.size() || text[i] != '=') {
                skip("'" + label + "' is not label=value");
                continue;
            }
        }
        ++i; // the '='
        const std::size_t data_start = i;
        skip_token();
        const std::string_view data = text.substr(data_start, i - data_start);
        if (label.empty()) {
            skip("'" + std::string{text.substr(token_start, i - token_start)} +
                 "' has an empty label");
            continue;
        }
        std::string why;
        if (auto item = parse_item(label, data, why))
            items.push_back(std::move(*item));
        else
            skip(label + ": " + why);
    }
    return items;
}

PluginOutput parse_output(std::string_view output, bool complete) {
    // Lines end at '\n'; a '\r' before it (plugins written on Windows) is white space to trim.
    std::vector<std::string_view> lines;
    bool last_line_partial = false;
    while (!output.empty()) {
        const auto newline = output.find('\n');
        if (newline == std::string_view::npos) {
            lines.push_back(output);
            last_line_partial = !complete;
            break;
        }
        lines.push_back(output.substr(0, newline));
        output.remove_prefix(newline + 1);
    }

    PluginOutput parsed;
    std::string perfdata;
    const auto add_perfdata = [&](std::size_t index, std::string_view text) {
        if (index + 1 == lines.size() && last_line_partial) {
            parsed.skipped.push_back("output cut at the size limit: last line ignored");
            return;
        }
        append_line(perfdata, text);
    };
    bool in_perfdata = false; // after the '|' of a long-text line, every line is perfdata
    for (std::size_t index = 0; index < lines.size(); ++index) {
        const std::string_view line = lines[index];
        const auto bar = line.find('|');
        if (index == 0) {
            parsed.text = one_line(line.substr(0, bar));
            if (bar != std::string_view::npos) add_perfdata(index, line.substr(bar + 1));
        } else if (in_perfdata) {
            add_perfdata(index, line);
        } else if (bar != std::string_view::npos) {
            append_line(parsed.long_text, trim(line.substr(0, bar), white_space));
            add_perfdata(index, line.substr(bar + 1));
            in_perfdata = true;
        } else {
            append_line(parsed.long_text, trim(line, white_space));
        }
    }
    parsed.long_text = std::string{trim(parsed.long_text, white_space)};
    parsed.perfdata = parse_perfdata(perfdata, &parsed.skipped);
    return parsed;
}

std::optional<std::string> unit_for_uom(std::string_view uom) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> units{{
        {"", ""},
        {"s", "seconds"},
        {"ms", "milliseconds"},
        {"us", "microseconds"},
        {"%", "percent"},
        {"B", "bytes"},
        {"KB", "kilobytes"},
        {"kB", "kilobytes"}, // the SI spelling, common in the wild
        {"MB", "megabytes"},
        {"GB", "gigabytes"},
        {"TB", "terabytes"},
        {"c", "counter"},
    }};
    for (const auto &[known, unit] : units)
        if (uom == known) return std::string{unit};
    return std::nullopt;
}

std::string metric_name(std::string_view label) {
    std::string name;
    bool pending_separator = false;
    for (const char c : label) {
        const auto byte = static_cast<unsigned char>(c);
        const bool keep = is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!keep) {
            pending_separator = !name.empty();
            continue;
        }
        if (pending_separator) name += '_';
        pending_separator = false;
        name += static_cast<char>(c >= 'A' && c <= 'Z' ? byte - 'A' + 'a' : byte);
    }
    if (name.empty()) {
        // check_disk labels a mount point by its path; the root file system is "/".
        const bool all_slashes = !label.empty() && label.find_first_not_of('/') == label.npos;
        return all_slashes ? "root" : "metric";
    }
    if (is_digit(name.front())) name = "metric_" + name;
    return name;
}

std::optional<double> threshold_number(std::string_view range) {
    return whole_number(range);
}

std::vector<Metric> to_metrics(const std::vector<PerfItem> &items) {
    std::vector<Metric> metrics;
    std::set<std::string> taken;
    // Per name, the suffix to try next: counting from 2 for every repeat made output
    // with thousands of equal labels take quadratic time (seconds per run).
    std::map<std::string, int> next_suffix;
    for (const auto &item : items) {
        const std::string base = metric_name(item.label);
        std::string name = base;
        if (taken.count(name)) {
            int &n = next_suffix.try_emplace(base, 2).first->second;
            do
                name = base + "_" + std::to_string(n++);
            while (taken.count(name));
        }
        taken.insert(name);
        metrics.push_back({std::move(name), item.value, unit_for_uom(item.uom).value_or(""),
                           item.uom == "c", threshold_number(item.warn),
                           threshold_number(item.crit), item.min, item.max});
    }
    return metrics;
}

std::string one_line(std::string_view text) {
    std::string line{text};
    for (char &c : line) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) c = ' ';
    }
    // Trimmed after the replacement, so a NUL or escape at either end leaves no space.
    return std::string{trim(line, white_space)};
}

} // namespace vitals::plugins
