// The dns check when it asks a chosen server itself (the `server` parameter), through c-ares.
// SPDX-License-Identifier: MIT
#pragma once

#include "expectations.hpp"
#include "server_query.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/thresholds.hpp>

#include <regex>
#include <string>
#include <vector>

namespace vitals::dns {

class ServerCheck {
public:
    explicit ServerCheck(const vitals::Params &params);
    void run(vitals::Run &run) const;

private:
    void report(vitals::Run &run, const QueryResult &answer) const;

    std::string name_;
    RecordType type_ = RecordType::a;
    Server server_;
    std::vector<std::string> expect_; ///< records as the answer shows them
    std::vector<std::regex> patterns_;
    Match match_ = Match::all;
    bool expect_nxdomain_ = false;
    vitals::plugins::TimeLimits limits_;
    std::string asked_; ///< "www.test A @127.0.0.1:53", as messages name the question
};

} // namespace vitals::dns
