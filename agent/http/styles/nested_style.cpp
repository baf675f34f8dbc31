// The style of seeds/002: GET /api/health/<access_token>/?format=json. SPDX-License-Identifier: MIT
//   {"cache": {"data": {"status": "working", "response_time": "0.1"}}, "postgres": {...}}
// A dotted check name nests once, at its first dot ("celery.queues.high" goes
// under "celery" as "queues.high"); "status" is "working" or the error text;
// response_time is seconds, as a string. Its error answers are the
// document's own: 404 {"detail": "Not found."} for a bad format or a
// missing token, 405 {"detail": "Method \"GET\" not allowed."} for a wrong one.
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "http/json_body.hpp"
#include "http/json_writer.hpp"
#include "http/router.hpp"
#include "http/styles/styles.hpp"

namespace vitals::styles {
namespace {

void leaf(JsonWriter &json, const CheckState &check, const Verdict &verdict) {
    const double seconds = check.last ? to_seconds(check.last->duration) : 0.0;
    json.begin_object();
    json.key("status").string(verdict.status == Status::error ? verdict.message : "working");
    json.key("response_time").string(fmt::format("{:g}", std::round(seconds * 1000) / 1000));
    json.end_object();
}

HttpResponse detail(int code, const std::string &text) {
    auto root = json_object();
    root->set("detail", text);
    return json_response(code, to_json(root));
}

/// The top level of an answer: each entry a check's leaf or a group of them, in the order
/// first set, found by name in constant time (a Poco object searched them all).
class Tree {
public:
    struct Entry {
        const CheckState *leaf = nullptr; ///< else a group
        std::vector<std::pair<std::string_view, const CheckState *>> members;
        bool has_status = false;        ///< a member named "status"
        bool has_response_time = false; ///< and one named "response_time"

        /// Has the keys of a leaf: a leaf, or a group that happens to have both.
        bool looks_like_leaf() const { return leaf || (has_status && has_response_time); }
    };

    Entry *find(std::string_view name) {
        const auto found = index_.find(name);
        return found == index_.end() ? nullptr : &entries_[found->second].second;
    }
    /// The entry `name`, added empty at the end if new; an existing one keeps its place.
    Entry &at(std::string_view name) {
        const auto [found, added] = index_.emplace(name, entries_.size());
        if (added) entries_.emplace_back(name, Entry{});
        return entries_[found->second].second;
    }
    const auto &entries() const { return entries_; }

private:
    std::vector<std::pair<std::string_view, Entry>> entries_;
    std::unordered_map<std::string_view, std::size_t> index_;
};

class NestedStyle final : public ResponseStyle {
public:
    std::string_view name() const override { return "nested"; }

    HttpResponse aggregate(const HealthView &view) const override {
        Tree tree;
        for (const auto &check : view.checks) {
            const std::string_view name = check->info.name;
            const auto dot = name.find('.');
            const std::string_view group = name.substr(0, dot);
            // A check named exactly like a group ("cache" beside "cache.data")
            // already holds a leaf there: keep the dotted one at the top level.
            const Tree::Entry *existing =
                dot == std::string_view::npos ? nullptr : tree.find(group);
            if (dot == std::string_view::npos || (existing && existing->looks_like_leaf())) {
                tree.at(name) = Tree::Entry{.leaf = check.get(), .members = {}};
                continue;
            }
            Tree::Entry &group_entry = tree.at(group);
            const std::string_view member = name.substr(dot + 1);
            group_entry.members.emplace_back(member, check.get());
            group_entry.has_status = group_entry.has_status || member == "status";
            group_entry.has_response_time =
                group_entry.has_response_time || member == "response_time";
        }
        JsonWriter json;
        json.begin_object();
        for (const auto &[key, entry] : tree.entries()) {
            json.key(key);
            if (entry.leaf) {
                leaf(json, *entry.leaf, view.verdict(*entry.leaf));
                continue;
            }
            json.begin_object();
            for (const auto &[name, check] : entry.members) {
                json.key(name);
                leaf(json, *check, view.verdict(*check));
            }
            json.end_object();
        }
        json.end_object();
        return json_response(view.codes.of(view.status()), json.take());
    }

    HttpResponse single(const CheckState &check, const HealthView &view) const override {
        const Verdict verdict = view.verdict(check);
        JsonWriter json;
        leaf(json, check, verdict);
        return json_response(view.codes.of(verdict.status), json.take());
    }

    HttpResponse not_found(const HttpRequest &) const override { return detail(404, "Not found."); }
    HttpResponse wrong_token(const HttpRequest &request) const override {
        return detail(405, fmt::format("Method \"{}\" not allowed.", request.method));
    }
    bool accepts_format(std::string_view format) const override { return format == "json"; }
};

} // namespace

const ResponseStyle &nested() {
    static const NestedStyle style;
    return style;
}

} // namespace vitals::styles
