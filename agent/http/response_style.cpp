// SPDX-License-Identifier: MIT
#include "http/response_style.hpp"

#include <array>

#include "http/health_json.hpp"
#include "http/router.hpp"
#include "http/styles/styles.hpp"

namespace vitals {

int StatusCodes::of(Status status) const {
    switch (status) {
    case Status::ok:
        return ok;
    case Status::warning:
        return warning;
    case Status::error:
        return error;
    }
    return error;
}

Status HealthView::status() const {
    if (unavailable) return Status::error;
    Status worst_status = Status::ok;
    for (const auto &check : checks)
        worst_status = worst(worst_status, verdict(*check).status);
    return worst_status;
}

HttpResponse ResponseStyle::not_found(const HttpRequest &request) const {
    return json_response(404, render_error("not found", request.path));
}

HttpResponse ResponseStyle::wrong_token(const HttpRequest &request) const {
    return json_response(403, render_error("forbidden", request.path));
}

HealthView styles::view_of(const CheckState &check, const HealthView &view) {
    HealthView one = view;
    one.checks = {std::make_shared<const CheckState>(check)};
    return one;
}

namespace {

const std::array<const ResponseStyle *, 8> &all_styles() {
    static const std::array<const ResponseStyle *, 8> styles{
        &styles::vitals(), &styles::health_json(), &styles::probes(), &styles::updown(),
        &styles::plain(),  &styles::ready(),       &styles::nested(), &styles::system_check()};
    return styles;
}

} // namespace

const ResponseStyle *find_style(std::string_view name) {
    for (const auto *style : all_styles())
        if (style->name() == name) return style;
    return nullptr;
}

std::vector<std::string> style_names() {
    std::vector<std::string> names;
    for (const auto *style : all_styles())
        names.emplace_back(style->name());
    return names;
}

const ResponseStyle &vitals_style() {
    return styles::vitals();
}

} // namespace vitals
