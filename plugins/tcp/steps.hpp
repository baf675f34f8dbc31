// The tcp plugin's dialogue: the steps of a line protocol, as conf.d writes them.
// SPDX-License-Identifier: MIT
#pragma once

#include <Poco/RegularExpression.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace vitals::tcp {

/// One step of a dialogue: send a line, wait for a line that matches, or start TLS.
struct Step {
    enum class Kind { send, expect, starttls };

    Kind kind;
    std::string text; ///< the line sent (without its CR LF), or the expected pattern
    std::shared_ptr<const Poco::RegularExpression> pattern; ///< for expect

    /// How messages name the step: "step 2 (expect /^220 /)". A sent line is never shown: it
    /// may hold a password (AUTH, LOGIN).
    std::string describe(std::size_t index) const;
};

/// A step written wrong; its text names the item ("item 3 ...") but never quotes a send.
class StepError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Reads "send: TEXT", "expect: REGEX" and "starttls" items (one space after the colon is
/// optional); throws StepError for anything else or a bad pattern.
std::vector<Step> parse_steps(const std::vector<std::string> &items);

} // namespace vitals::tcp
