// An in-process check's create(), bounded in time. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <stop_token>

#include "checks/in_process_runner.hpp"
#include "config/config_error.hpp"
#include "config/configuration.hpp"
#include "core/duration.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {

/// The least time create() is given whatever the check's timeout: a plugin may load its
/// libraries on first use, and a loaded machine (or a sanitizer build) is slow at that.
inline constexpr Duration min_create_time_limit = std::chrono::seconds{5};

/// How long an in-process create() may take: the check's timeout, at least
/// min_create_time_limit.
Duration create_time_limit(const CheckDefinition &definition);

/// InProcessRunner::create() on a thread of its own, waited for up to create_time_limit()
/// or until `stop` is requested. A create() still going then is refused: an error naming
/// the check at its file and line goes to `errors`, and the call is left on its thread (it
/// cannot be cancelled); if it ever returns, the instance it made is destroyed, never used,
/// and until then the call keeps its plugin loaded. While such a call of a check is still
/// going, a new create() of that check is refused at once, so what is left behind is at most
/// one thread per check name.
std::unique_ptr<InProcessRunner> create_within_limit(const CheckDefinition &definition,
                                                     std::shared_ptr<const PluginLibrary> plugin,
                                                     ConfigErrors &errors,
                                                     std::stop_token stop = {});

} // namespace vitals
