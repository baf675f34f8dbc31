// SPDX-License-Identifier: MIT
#include "app/run_once_json.hpp"

#include "http/json_writer.hpp"

namespace vitals {
namespace {

void write_node(JsonWriter &json, const toml::node &node) {
    if (const auto *text = node.as_string()) {
        json.string(text->get());
    } else if (const auto *integer = node.as_integer()) {
        json.integer(integer->get());
    } else if (const auto *number = node.as_floating_point()) {
        json.number(number->get());
    } else if (const auto *flag = node.as_boolean()) {
        json.boolean(flag->get());
    } else if (const auto *array = node.as_array()) {
        json.begin_array();
        for (const auto &item : *array)
            write_node(json, item);
        json.end_array();
    } else {
        json.null(); // no plugin parameter type is a table, a date or a time
    }
}

void write_metrics(JsonWriter &json, const std::vector<Metric> &metrics) {
    json.begin_array();
    for (const auto &metric : metrics) {
        json.begin_object();
        json.key("name").string(metric.name);
        json.key("value").number(metric.value);
        json.key("unit").string(metric.unit);
        json.end_object();
    }
    json.end_array();
}

} // namespace

std::string run_report_json(const RunReport &report) {
    JsonWriter json;
    json.begin_object();
    json.key("check").string(report.check);
    json.key("plugin").string(report.plugin);
    json.key("run").unsigned_integer(report.run);
    json.key("params").begin_object();
    if (report.params)
        for (const auto &[key, node] : *report.params) {
            json.key(key.str());
            write_node(json, node);
        }
    json.end_object();
    json.key("defaulted").begin_array();
    for (const auto &key : report.defaulted)
        json.string(key);
    json.end_array();
    const CheckResult &result = *report.result;
    json.key("status").string(to_string(result.status));
    json.key("message").string(result.message);
    json.key("metrics");
    write_metrics(json, result.metrics);
    json.key("duration_seconds").number(to_seconds(result.duration));
    json.end_object();
    return json.take() + "\n";
}

} // namespace vitals
