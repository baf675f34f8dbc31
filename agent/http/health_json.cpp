// SPDX-License-Identifier: MIT
#include "http/health_json.hpp"

#include "http/json_body.hpp"

namespace vitals {

std::string render_error(std::string_view error, std::string_view detail) {
    auto root = json_object();
    root->set("error", std::string{error});
    root->set("detail", std::string{detail});
    return to_json(root);
}

} // namespace vitals
