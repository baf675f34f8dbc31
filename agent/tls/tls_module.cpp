// SPDX-License-Identifier: MIT
#include "tls/tls_module.hpp"

#include <dlfcn.h>

#include <string>
#include <system_error>

#include <fmt/format.h>

namespace vitals {
namespace {

namespace fs = std::filesystem;

fs::path executable_directory() {
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path{} : exe.parent_path();
}

const TlsModule &load_first_found() {
    std::string looked;
    for (const auto &candidate : tls_module_candidates()) {
        std::error_code ec;
        if (!fs::is_regular_file(candidate, ec)) {
            looked += (looked.empty() ? "" : ", ") + candidate.string();
            continue;
        }
        // Never closed: servers and sessions it made live until the process ends.
        void *library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!library)
            throw TlsModuleError{
                fmt::format("TLS: cannot load {}: {}", candidate.string(), dlerror())};
        using Entry = const TlsModule *();
        auto *entry = reinterpret_cast<Entry *>(dlsym(library, "vitals_tls_module_table"));
        const TlsModule *table = entry ? entry() : nullptr;
        if (!table)
            throw TlsModuleError{
                fmt::format("TLS: {} is not vitalsd's TLS module (no vitals_tls_module_table)",
                            candidate.string())};
        if (table->size != sizeof(TlsModule) || std::string{table->version} != VITALS_VERSION)
            throw TlsModuleError{
                fmt::format("TLS: {} is from vitals {}, this vitalsd is {}: reinstall vitals",
                            candidate.string(), table->version, VITALS_VERSION)};
        return *table;
    }
    throw TlsModuleError{
        fmt::format("TLS: vitalsd's TLS module is not installed (looked for {})", looked)};
}

} // namespace

std::vector<fs::path> tls_module_candidates() {
    const auto here = executable_directory();
    std::vector<fs::path> candidates;
    if (!here.empty()) {
        candidates.push_back(here / VITALS_TLS_MODULE_NAME);
        candidates.push_back((here / VITALS_TLS_MODULE_FROM_EXECUTABLE).lexically_normal());
    }
#ifdef VITALS_BUILD_TREE_TLS_MODULE
    candidates.push_back(VITALS_BUILD_TREE_TLS_MODULE);
#endif
    return candidates;
}

const TlsModule &tls_module() {
    // Thread-safe, and a load that threw is tried again on the next call.
    static const TlsModule &module = load_first_found();
    return module;
}

std::unique_ptr<TlsServerContext> make_tls_server_context(const TlsSettings &settings) {
    return tls_module().server_context(settings);
}

} // namespace vitals
