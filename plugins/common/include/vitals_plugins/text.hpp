// Text helpers shared by the shipped checker plugins and the agent. SPDX-License-Identifier: MIT
//
// ASCII only and locale-free throughout: the agent never sets a locale for its plugins, and
// what these read (header names, units, configuration words) is ASCII by definition.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <vector>

namespace vitals::plugins {

/// Fixed-point text. Unlike iostreams or printf, to_chars ignores the process locale, which
/// the agent does not control for its plugins.
std::string fixed(double value, int decimals);

/// Library error text fitted to follow a colon: "Connection refused" -> "connection refused".
std::string after_colon(std::string text);

/// An errno value as message text: "no such file or directory".
std::string describe_errno(int error);

std::string join(const std::vector<std::string> &parts, const char *separator);

/// `text` without leading and trailing `whitespace`; a view into `text`.
std::string_view trim(std::string_view text, std::string_view whitespace = " \t\r\n");

/// Every occurrence of `secret` in `text` replaced by "***": for text that came from a library
/// or a server, which may echo a password it was given. An empty secret changes nothing.
std::string mask_secret(std::string text, const std::string &secret);

/// Text a server or library chose (a reason phrase, a line it sent), safe to quote in a
/// message: every byte outside printable ASCII as '?', and cut at `limit` bytes with "...".
std::string printable(std::string_view text, std::size_t limit = 80);

/// `text` with A-Z as a-z.
std::string to_lower(std::string_view text);

/// The order of `a` and `b` with A-Z read as a-z: "Content-Type" and "content-type" are
/// equivalent, "Accept" comes before "content-length".
std::weak_ordering compare_ignoring_case(std::string_view a, std::string_view b);

/// Whether `a` and `b` are the same text but for the case of A-Z.
bool equal_ignoring_case(std::string_view a, std::string_view b);

} // namespace vitals::plugins
