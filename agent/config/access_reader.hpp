// agent.toml's [access] and [tls]: tokens, scopes, certificates. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <toml++/toml.h>

#include "config/configuration.hpp"
#include "config/secret_reference.hpp"
#include "config/table_reader.hpp"

namespace vitals {

void read_access(const toml::table &table, const std::filesystem::path &base_dir,
                 AccessSettings &access, ConfigErrors &errors);
void read_tls(const toml::table &table, const std::filesystem::path &base_dir, TlsSettings &tls,
              ConfigErrors &errors);

} // namespace vitals
