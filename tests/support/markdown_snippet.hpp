// Code blocks of a Markdown file, found by a marker, so a test can compile what the
// documentation prints exactly as printed. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace vitals::test {

/// The body of the fenced code block right after the line `<!-- snippet: NAME ...-->` in
/// `markdown`, without its fences. Throws if there is no such marker or block.
inline std::string markdown_snippet(const std::filesystem::path &markdown,
                                    const std::string &name) {
    std::ifstream in{markdown};
    if (!in) throw std::runtime_error("cannot read " + markdown.string());
    const std::string marker = "<!-- snippet: " + name;
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(marker, 0) == 0 && line.size() > marker.size() &&
            (line[marker.size()] == ' ' || line[marker.size()] == '-'))
            break;
    if (!in) throw std::runtime_error(markdown.string() + " has no marker '" + marker + "'");
    if (!std::getline(in, line) || line.rfind("```", 0) != 0)
        throw std::runtime_error(markdown.string() + ": no code block right after '" + marker +
                                 "'");
    std::string body;
    while (std::getline(in, line)) {
        if (line.rfind("```", 0) == 0) return body;
        body += line + "\n";
    }
    throw std::runtime_error(markdown.string() + ": the block after '" + marker + "' never ends");
}

} // namespace vitals::test
