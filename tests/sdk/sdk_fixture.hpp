// Shell commands, installs and symbol tables for the SDK tests. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "support/temp_dir.hpp"

namespace vitals::test {

struct ShellResult {
    int exit_code = -1;
    std::string output; ///< stdout and stderr together
};

inline std::string quote(const std::string &text) {
    std::string quoted = "'";
    for (const char c : text)
        quoted += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
    return quoted + "'";
}

/// Runs `command` through /bin/sh; returns its exit code and everything it printed.
inline ShellResult shell(const std::string &command) {
    FILE *pipe = popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    ShellResult result;
    std::array<char, 4096> buffer{};
    while (fgets(buffer.data(), buffer.size(), pipe))
        result.output += buffer.data();
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

/// `shell(command)`, which must succeed; its output is shown when it does not.
inline std::string must_run(const std::string &command) {
    const auto result = shell(command);
    INFO(command);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    return result.output;
}

inline bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

/// Names of the dynamic symbols a shared object defines, per `nm -D --defined-only`.
inline std::vector<std::string> exported_symbols(const std::filesystem::path &file) {
    const auto output = must_run("nm -D --defined-only " + quote(file.string()));
    std::vector<std::string> names;
    std::istringstream lines{output};
    for (std::string line; std::getline(lines, line);)
        if (const auto space = line.rfind(' '); !line.empty())
            names.push_back(space == std::string::npos ? line : line.substr(space + 1));
    return names;
}

/// `cmake --install` of this build's SDK component into `prefix`: what a plugin
/// author's machine has after installing the SDK package.
inline void install_sdk(const std::filesystem::path &prefix) {
    must_run(quote(VITALS_CMAKE_COMMAND) + " --install " + quote(VITALS_BUILD_DIR) +
             " --component sdk --prefix " + quote(prefix.string()));
}

/// Configures and builds the project in `source` into `build`, as its author would,
/// finding Vitals only under `sdk_prefix`. Warnings are errors here.
inline void build_project(const std::filesystem::path &source, const std::filesystem::path &build,
                          const std::filesystem::path &sdk_prefix,
                          const std::filesystem::path &install_prefix) {
    const std::string flags = std::string{"-Werror "} + VITALS_EXAMPLE_FLAGS;
    must_run(quote(VITALS_CMAKE_COMMAND) + " -S " + quote(source.string()) + " -B " +
             quote(build.string()) + " -G " + quote(VITALS_CMAKE_GENERATOR) +
             " -DCMAKE_BUILD_TYPE=RelWithDebInfo" + " -DCMAKE_C_COMPILER=" +
             quote(VITALS_C_COMPILER) + " -DCMAKE_CXX_COMPILER=" + quote(VITALS_CXX_COMPILER) +
             " -DCMAKE_C_FLAGS=" + quote(flags) + " -DCMAKE_CXX_FLAGS=" + quote(flags) +
             " -DCMAKE_PREFIX_PATH=" + quote(sdk_prefix.string()) +
             // Only the install under test: no user or system package registry.
             " -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF" +
             " -DCMAKE_INSTALL_PREFIX=" + quote(install_prefix.string()));
    must_run(quote(VITALS_CMAKE_COMMAND) + " --build " + quote(build.string()));
}

/// The value of `name` in a build directory's CMakeCache.txt.
inline std::string cache_value(const std::filesystem::path &build, const std::string &name) {
    const auto output = must_run("grep -E " + quote("^" + name + ":") + " " +
                                 quote((build / "CMakeCache.txt").string()));
    const auto eq = output.find('=');
    std::string value = eq == std::string::npos ? "" : output.substr(eq + 1);
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
        value.pop_back();
    return value;
}

} // namespace vitals::test
