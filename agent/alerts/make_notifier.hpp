// The notifier a [[notifier]] of agent.toml describes. SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include "alerts/notifier.hpp"
#include "config/notifier_definition.hpp"

namespace vitals {

/// Its transport, ready to deliver. Throws Poco::Exception when its TLS files cannot be
/// used (the definition was checked when read; a file may have changed since).
std::unique_ptr<Notifier> make_notifier(const NotifierDefinition &definition);

} // namespace vitals
