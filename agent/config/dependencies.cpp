// SPDX-License-Identifier: MIT
#include "config/dependencies.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace vitals {
namespace {

using Graph = std::map<std::string, const CheckDefinition *>;

/// Depth-first search; `path` holds the checks on the way down.
void find_cycles(const Graph &graph, const CheckDefinition &check, std::vector<std::string> &path,
                 std::set<std::string> &done, std::set<std::vector<std::string>> &cycles) {
    const auto on_path = std::find(path.begin(), path.end(), check.name);
    if (on_path != path.end()) {
        std::vector<std::string> cycle{on_path, path.end()};
        // One cycle, however it was entered: start it at its smallest name.
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
        cycles.insert(cycle);
        return;
    }
    if (done.contains(check.name)) return;
    path.push_back(check.name);
    for (const auto &dependency : check.depends_on)
        if (const auto it = graph.find(dependency); it != graph.end())
            find_cycles(graph, *it->second, path, done, cycles);
    path.pop_back();
    done.insert(check.name);
}

} // namespace

void validate_dependencies(const std::vector<CheckDefinition> &checks, ConfigErrors &errors) {
    Graph graph;
    for (const auto &check : checks)
        graph.emplace(check.name, &check);
    for (const auto &check : checks) {
        for (const auto &dependency : check.depends_on) {
            const auto it = graph.find(dependency);
            const std::string key = "check." + check.name + ".depends_on";
            if (it == graph.end())
                errors.push_back(
                    {check.depends_where, key, fmt::format("no check named '{}'", dependency)});
            else if (!it->second->enabled && check.enabled)
                errors.push_back(
                    {check.depends_where, key, fmt::format("'{}' is disabled", dependency)});
            else if (dependency == check.name)
                errors.push_back({check.depends_where, key, "a check cannot depend on itself"});
        }
    }
    std::set<std::vector<std::string>> cycles;
    std::set<std::string> done;
    for (const auto &check : checks) {
        std::vector<std::string> path;
        find_cycles(graph, check, path, done, cycles);
    }
    for (const auto &cycle : cycles) {
        if (cycle.size() < 2) continue; // self-dependency, reported above
        const CheckDefinition &first = *graph.at(cycle.front());
        errors.push_back(
            {first.depends_where, "check." + first.name + ".depends_on",
             fmt::format("dependency cycle: {} -> {}", fmt::join(cycle, " -> "), cycle.front())});
    }
}

} // namespace vitals
