// SPDX-License-Identifier: MIT
#include "http/status_page.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/SHA2Engine.h>
#include <fmt/format.h>

#include "core/host_name.hpp"
#include "core/utc_time.hpp"
#include "http/html.hpp"
#include "http/json_writer.hpp"
#include "http/query.hpp"
#include "http/status_page_access.hpp"
#include "http/status_page_assets.hpp"

namespace vitals {
namespace {

constexpr std::array<std::string_view, 4> shown_statuses{"ok", "warning", "error", "pending"};
constexpr double sparkline_width = 64;
constexpr double sparkline_height = 16;
/// The sparkline's full height stands for the longest run, but never less than
/// this: below it the differences are scheduling and cache noise, and scaled
/// to themselves they would look like alarming swings. status.js uses the same.
constexpr double sparkline_floor_seconds = 0.010;

/// Replaces each {{key}} of the template; values are inserted as given (escape first).
std::string fill(std::string_view page, const std::map<std::string_view, std::string> &values) {
    std::string out;
    out.reserve(page.size() + 4096);
    while (!page.empty()) {
        const auto open = page.find("{{");
        const auto close = open == std::string_view::npos ? open : page.find("}}", open);
        if (close == std::string_view::npos) break;
        out.append(page.substr(0, open));
        const auto key = page.substr(open + 2, close - open - 2);
        if (const auto value = values.find(key); value != values.end())
            out += value->second;
        else
            out.append(page.substr(open, close - open + 2)); // not ours: left as written
        page.remove_prefix(close + 2);
    }
    out.append(page);
    return out;
}

/// Everything is inline and nothing else may load: the one script is allowed by
/// its hash, so markup that slipped into a message could never run, escaping aside.
const std::string &content_security_policy() {
    static const std::string policy = [] {
        Poco::SHA2Engine sha256{Poco::SHA2Engine::SHA_256};
        sha256.update(assets::status_js.data(), static_cast<unsigned>(assets::status_js.size()));
        const auto &digest = sha256.digest();
        std::ostringstream base64;
        {
            Poco::Base64Encoder encoder{base64};
            encoder.rdbuf()->setLineLength(0);
            encoder.write(reinterpret_cast<const char *>(digest.data()),
                          static_cast<std::streamsize>(digest.size()));
            encoder.close();
        }
        return fmt::format("default-src 'none'; style-src 'unsafe-inline'; script-src "
                           "'sha256-{}'; connect-src 'self'; img-src 'self' data:; "
                           "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
                           base64.str());
    }();
    return policy;
}

std::string time_element(std::chrono::system_clock::time_point when, const std::string &text) {
    const std::string utc = format_utc(when);
    return fmt::format(R"(<time datetime="{0}" title="{0}">{1}</time>)", utc, html_escape(text));
}

double seconds_between(std::chrono::system_clock::time_point from,
                       std::chrono::system_clock::time_point to) {
    return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

std::string history_cells(const std::vector<HistoryEntry> &newest_first) {
    std::string cells;
    for (auto entry = newest_first.rbegin(); entry != newest_first.rend(); ++entry) {
        const std::string title = fmt::format(
            "{} · {} · {}{}{}{}{}", to_string(entry->status), format_utc(entry->started),
            format_span(to_seconds(entry->duration)), entry->message.empty() ? "" : " · ",
            entry->message, entry->action.empty() ? "" : " · action: ", entry->action);
        cells += fmt::format(R"(<i class="cell status-{}" title="{}"></i>)",
                             to_string(entry->status), html_escape(title));
    }
    return R"(<span class="cells">)" + cells + "</span>";
}

/// The runs' durations, oldest to newest, as a line scaled to the longest (at
/// least the floor).
std::string sparkline(const std::vector<HistoryEntry> &newest_first) {
    if (newest_first.size() < 2) return {};
    double longest = 0;
    for (const auto &entry : newest_first)
        longest = std::max(longest, to_seconds(entry.duration));
    const double scale = std::max(longest, sparkline_floor_seconds);
    std::string points;
    const double step = sparkline_width / static_cast<double>(newest_first.size() - 1);
    std::size_t i = 0;
    for (auto entry = newest_first.rbegin(); entry != newest_first.rend(); ++entry, ++i) {
        const double share = to_seconds(entry->duration) / scale;
        points +=
            fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", static_cast<double>(i) * step,
                        sparkline_height - 1 - share * (sparkline_height - 2));
    }
    return fmt::format(
        R"(<svg class="spark" width="{0}" height="{1}" viewBox="0 0 {0} {1}" )"
        R"(role="img" aria-label="durations, longest {2}"><polyline points="{3}"/></svg>)",
        sparkline_width, sparkline_height, html_escape(format_span(longest)), points);
}

/// "99.95%": never rounded up to 100% unless it is.
std::string percent(double ratio) {
    if (ratio >= 1) return "100%";
    return fmt::format("{:.2f}%", std::floor(ratio * 10000) / 100);
}

/// The uptime windows with a figure, under the time in state; empty when none has one.
std::string uptime_text(const CheckState &check, std::chrono::system_clock::time_point now) {
    std::string text;
    for (const auto &window : uptime_windows)
        if (const auto ratio = check.transitions->uptime(window.length, now))
            text += (text.empty() ? "" : " · ") + percent(*ratio) + " " + std::string{window.name};
    return text.empty() ? "" : R"(<span class="uptime" title="uptime">)" + text + "</span>";
}

/// "name=value": how a label shows, and is chosen, in the label filter.
std::string label_pair(const std::string &name, const std::string &value) {
    return name + "=" + value;
}

/// The check's labels as a JSON array of "name=value", for the script's filter (a value may
/// hold any character, spaces and newlines too).
std::string labels_attribute(const CheckInfo &info) {
    JsonWriter json;
    json.begin_array();
    for (const auto &[name, value] : info.labels)
        json.string(label_pair(name, value));
    json.end_array();
    return json.take();
}

/// Every "name=value" of the checks with how many checks have it: the label filter's choices
/// are those some checks have and others not (an agent's `instance` filters nothing).
std::map<std::string, std::size_t> label_choices(const std::vector<CheckState> &checks) {
    std::map<std::string, std::size_t> counts;
    for (const auto &check : checks)
        for (const auto &[name, value] : check.info.labels)
            ++counts[label_pair(name, value)];
    std::erase_if(counts, [&](const auto &count) { return count.second == checks.size(); });
    return counts;
}

bool has_label(const CheckInfo &info, std::string_view pair) {
    return std::any_of(info.labels.begin(), info.labels.end(), [&](const auto &label) {
        return label_pair(label.first, label.second) == pair;
    });
}

std::string check_row(const CheckState &check, const std::vector<HistoryEntry> &history,
                      std::chrono::system_clock::time_point now, const Quiet *quiet) {
    const Verdict verdict = judge(check, now);
    const std::string_view shown = display_status(verdict);
    std::string groups;
    for (const auto &group : check.info.groups)
        groups += (groups.empty() ? "" : " ") + group;
    std::string groups_text;
    for (const auto &group : check.info.groups)
        groups_text += (groups_text.empty() ? "" : ", ") + group;
    std::string flags;
    if (verdict.stale) flags += R"(<span class="flag">stale</span>)";
    if (check.last && check.last->suppressed) flags += R"(<span class="flag">suppressed</span>)";
    if (check.restored) flags += R"(<span class="flag">restored</span>)";
    if (quiet)
        flags += R"(<span class="flag silenced">)" + html_escape(silenced_text(*quiet)) + "</span>";
    if (check.info.ttl)
        flags += R"(<span class="flag">push, ttl )" +
                 html_escape(format_duration(*check.info.ttl)) + "</span>";
    const auto &last = check.last;
    const std::string last_run =
        last
            ? time_element(last->started, format_span(seconds_between(last->started, now)) + " ago")
            : "—";
    const std::string duration = last ? html_escape(format_span(to_seconds(last->duration))) : "—";
    const std::string since =
        (last ? time_element(check.status_since,
                             format_span(seconds_between(check.status_since, now)))
              : "—") +
        uptime_text(check, now);
    const std::string description =
        check.info.description.empty()
            ? ""
            : R"(<span class="description">)" + html_escape(check.info.description) + "</span>";
    return fmt::format(
        R"(<tr class="check status-{0}" data-name="{1}" data-status="{0}" data-groups="{2}" )"
        R"(data-labels="{12}" id="check-{1}">)"
        R"(<td class="status" data-label="status"><span class="badge">{0}</span>{3}</td>)"
        R"(<td class="name" data-label="check">{1}{4}</td>)"
        R"(<td class="groups" data-label="groups">{5}</td>)"
        R"(<td class="message" data-label="message">{6}</td>)"
        R"(<td class="last-run" data-label="last run">{7}</td>)"
        R"(<td class="duration" data-label="duration">{8}</td>)"
        R"(<td class="since" data-label="in state">{9}</td>)"
        R"(<td class="history" data-label="history">{10}{11}</td></tr>)"
        "\n",
        shown, html_escape(check.info.name), html_escape(groups), flags, description,
        html_escape(groups_text), html_escape(verdict.message), last_run, duration, since,
        history_cells(history), sparkline(history), html_escape(labels_attribute(check.info)));
}

bool matches(const CheckState &check, std::string_view shown, const StatusPageInput &input) {
    return (input.status_filter.empty() || input.status_filter == shown) &&
           (input.group_filter.empty() || check.info.in_group(input.group_filter)) &&
           (input.label_filter.empty() || has_label(check.info, input.label_filter));
}

std::string filters(const StatusPageInput &input, const std::map<std::string, int> &counts,
                    const std::set<std::string> &groups,
                    const std::map<std::string, std::size_t> &labels) {
    const auto checked = [&](std::string_view value) {
        return input.status_filter == value ? " checked" : "";
    };
    std::string chips =
        fmt::format(R"(<label class="chip"><input type="radio" name="status" value=""{}> all )"
                    R"(<span class="count" id="count-all">{}</span></label>)",
                    checked(""), counts.at("all"));
    for (const auto status : shown_statuses)
        chips += fmt::format(
            R"(<label class="chip status-{0}"><input type="radio" name="status" value="{0}"{1}> {0} )"
            R"(<span class="count" id="count-{0}">{2}</span></label>)",
            status, checked(status), counts.at(std::string{status}));
    std::string options = R"(<option value="">all groups</option>)";
    for (const auto &group : groups)
        options += fmt::format(R"(<option value="{0}"{1}>{0}</option>)", html_escape(group),
                               input.group_filter == group ? " selected" : "");
    std::string label_options = R"(<option value="">all labels</option>)";
    for (const auto &[pair, count] : labels)
        label_options += fmt::format(R"(<option value="{0}"{1}>{0}</option>)", html_escape(pair),
                                     input.label_filter == pair ? " selected" : "");
    return fmt::format(R"(<form class="filters" id="filters" method="get" action="/">)"
                       R"(<fieldset><legend>status</legend>{}</fieldset>)"
                       R"(<label>group <select name="group" id="group">{}</select></label>)"
                       R"(<label>label <select name="label" id="label">{}</select></label>)"
                       R"(<noscript><button type="submit">apply</button></noscript></form>)"
                       "\n",
                       chips, options, label_options);
}

std::string checks_section(const StatusPageInput &input) {
    std::map<std::string, int> counts{{"all", 0}};
    for (const auto status : shown_statuses)
        counts[std::string{status}] = 0;
    std::set<std::string> groups;
    std::string rows;
    static const std::vector<HistoryEntry> no_history;
    for (const auto &check : input.checks) {
        const auto shown = display_status(judge(check, input.now));
        ++counts["all"];
        ++counts[std::string{shown}];
        groups.insert(check.info.groups.begin(), check.info.groups.end());
        if (!matches(check, shown, input)) continue;
        const auto history = input.histories.find(check.info.name);
        const auto quiet = input.silenced.find(check.info.name);
        rows += check_row(check, history == input.histories.end() ? no_history : history->second,
                          input.now, quiet == input.silenced.end() ? nullptr : &quiet->second);
    }
    return filters(input, counts, groups, label_choices(input.checks)) +
           R"(<table id="checks"><thead><tr><th>status</th><th>check</th><th>groups</th>)"
           R"(<th>message</th><th>last run</th><th>duration</th><th>in state</th>)"
           R"(<th>history</th></tr></thead>)"
           "\n<tbody id=\"rows\">\n" +
           rows + "</tbody></table>\n" + R"(<p id="empty")" + (rows.empty() ? "" : " hidden") +
           ">No check matches these filters.</p>";
}

Status overall_status(const StatusPageInput &input) {
    Status worst_seen = Status::ok;
    for (const auto &check : input.checks)
        worst_seen = worst(worst_seen, judge(check, input.now).status);
    return worst_seen;
}

} // namespace

std::string_view display_status(const Verdict &verdict) {
    if (verdict.pending && !verdict.stale) return "pending";
    return to_string(verdict.status);
}

std::string format_span(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
    if (seconds < 1) return fmt::format("{}ms", static_cast<long>(std::lround(seconds * 1000)));
    if (seconds < 10) return fmt::format("{:.1f}s", seconds);
    const auto whole = static_cast<long>(seconds);
    if (whole < 60) return fmt::format("{}s", whole);
    if (whole < 3600) return fmt::format("{}m {}s", whole / 60, whole % 60);
    if (whole < 86400) return fmt::format("{}h {}m", whole / 3600, whole % 3600 / 60);
    return fmt::format("{}d {}h", whole / 86400, whole % 86400 / 3600);
}

std::string render_status_page(const StatusPageInput &input) {
    const Status overall = overall_status(input);
    // Host name, version, uptime and the configuration's state tell a stranger too much.
    if (!input.details) return render_restricted_page(overall);
    const AgentFacts &facts = input.facts;
    std::string config_errors;
    if (!facts.config_errors.empty()) {
        config_errors = R"(<ul class="config-errors" id="config-errors">)";
        for (const auto &error : facts.config_errors)
            config_errors += "<li>" + html_escape(error) + "</li>";
        config_errors += "</ul>";
    }
    const std::string config_state =
        facts.config_ok ? "ok"
                        : fmt::format("reload failed ({} error{})", facts.config_errors.size(),
                                      facts.config_errors.size() == 1 ? "" : "s");
    const std::string maintenance =
        input.maintenance
            ? fmt::format(
                  R"(<p class="maintenance" id="maintenance">maintenance{} by {}: {}</p>)",
                  input.maintenance->until ? " until " + format_utc(*input.maintenance->until)
                                           : std::string{},
                  html_escape(input.maintenance->by), html_escape(input.maintenance->reason))
            : R"(<p class="maintenance" id="maintenance" hidden></p>)";
    const std::string main = checks_section(input);
    const std::string script = "<script>" + std::string{assets::status_js} + "</script>";
    return fill(
        assets::status_html,
        {{"title", html_escape(fmt::format("{} · {}", to_string(overall), input.agent_name))},
         {"style", std::string{assets::status_css}},
         {"overall", std::string{to_string(overall)}},
         {"now", format_utc(input.now)},
         {"started", format_utc(facts.started)},
         {"refresh_ms", std::to_string(input.refresh_ms)},
         {"agent_name", html_escape(input.agent_name)},
         {"version", html_escape(facts.version)},
         {"uptime", html_escape(format_span(seconds_between(facts.started, input.now)))},
         {"config_class", facts.config_ok ? "ok" : "error"},
         {"config_state", html_escape(config_state)},
         {"config_errors", config_errors},
         {"maintenance", maintenance},
         {"main", main},
         {"script", script}});
}

std::string silenced_text(const Quiet &quiet) {
    if (!quiet.window.empty())
        return fmt::format("silenced until {} (window {})", format_utc(quiet.until), quiet.window);
    return fmt::format("silenced until {} by {}: {}", format_utc(quiet.until), quiet.by,
                       quiet.reason);
}

void add_status_page(Router &router, const ResultStore &results, const AgentStatus &agent,
                     const SilenceBoard *silences) {
    router.get(
        "/",
        [&results, &agent, silences, name = host_name()](const HttpRequest &request,
                                                         const Captures &) {
            if (auto refused = status_page_gate(request)) return *refused;
            StatusPageInput input;
            input.agent_name = name;
            input.facts = agent.snapshot();
            input.now = std::chrono::system_clock::now();
            input.details = request.caller.scope >= Scope::read;
            // Without read only the overall status shows (rendering leaves the checks out).
            const auto states = results.snapshot();
            input.checks.reserve(states.size());
            for (const auto &state : states)
                input.checks.push_back(*state);
            if (input.details) {
                for (const auto &check : input.checks)
                    input.histories.emplace(check.info.name, results.history(check.info.name));
                const Query query{request.query};
                input.status_filter = query.get("status").value_or("");
                input.group_filter = query.get("group").value_or("");
                input.label_filter = query.get("label").value_or("");
                if (silences) {
                    for (const auto &check : input.checks)
                        if (auto quiet = silences->silenced(check.info.name, input.now))
                            input.silenced.emplace(check.info.name, std::move(*quiet));
                    input.maintenance = silences->in_maintenance(input.now);
                }
            }
            HttpResponse response = json_response(200, render_status_page(input));
            response.content_type = "text/html; charset=utf-8";
            // Everything is inline: nothing else may load (and no other origin may frame it).
            response.headers["Content-Security-Policy"] = content_security_policy();
            response.headers["X-Content-Type-Options"] = "nosniff";
            return response;
        },
        Scope::none); // the gate decides: /?login must reach callers with no scope yet
}

} // namespace vitals
