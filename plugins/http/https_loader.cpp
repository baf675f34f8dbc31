// Finds and loads http.so's https module the first time it is needed. SPDX-License-Identifier: MIT
#include "https_loader.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>

namespace vitals::http {

namespace {

/// dlerror()'s words, without the "<path>: " it starts with when it names the file.
std::string dl_error(const std::string &path) {
    const char *text = ::dlerror();
    if (!text) return "unknown dynamic loader error";
    std::string words = text;
    if (words.starts_with(path + ": ")) words.erase(0, path.size() + 2);
    return words;
}

/// Loads and checks the module; throws HttpsModuleError.
const HttpsModule &load() {
    const std::string path = https_module_path();
    ::dlerror(); // clear any stale message
    // Never closed: see https_module().
    void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!handle)
        throw HttpsModuleError{"cannot load the https module " + path + ": " + dl_error(path)};
    using Entry = const HttpsModule *(*)();
    const auto entry = reinterpret_cast<Entry>(::dlsym(handle, VITALS_HTTP_HTTPS_MODULE_SYMBOL));
    if (!entry)
        throw HttpsModuleError{"the https module " + path + " is not one: " + dl_error(path)};
    const HttpsModule *table = entry();
    if (!table || table->size != sizeof(HttpsModule) ||
        std::strcmp(table->version, VITALS_VERSION) != 0)
        throw HttpsModuleError{"the https module " + path + " is from another build (version " +
                               std::string{table ? table->version : "?"} +
                               "; this http.so: " VITALS_VERSION ")"};
    return *table;
}

} // namespace

const HttpsModule &https_module() {
    static std::mutex mutex;
    static const HttpsModule *loaded = nullptr;
    const std::lock_guard lock{mutex};
    if (!loaded) loaded = &load();
    return *loaded;
}

std::string https_module_path() {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<const void *>(&https_module_path), &info) == 0 || !info.dli_fname)
        throw HttpsModuleError{"cannot find where http.so was loaded from (dladdr failed)"};
    const std::string self = own_file(info.dli_fname);
    const auto slash = self.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : self.substr(0, slash);
    return dir + "/http.d/https.so";
}

std::string own_file(const std::string &loaded_as) {
    // vitalsd loads a private copy of the file, a memfd it names after the file, through
    // "/proc/self/fd/<n>" (which it may spell "/proc/self/fd/./<n>"); the link reads
    // "/memfd:<file> (deleted)". Any other name is the file itself.
    constexpr std::string_view fd_dir = "/proc/self/fd/", memfd = "/memfd:", gone = " (deleted)";
    if (!loaded_as.starts_with(fd_dir)) return loaded_as;
    std::array<char, 4096> target{};
    const ssize_t length = ::readlink(loaded_as.c_str(), target.data(), target.size() - 1);
    if (length <= 0) return loaded_as;
    std::string_view link{target.data(), static_cast<std::size_t>(length)};
    if (!link.starts_with(memfd)) return std::string{link};
    link.remove_prefix(memfd.size());
    if (link.ends_with(gone)) link.remove_suffix(gone.size());
    return std::string{link};
}

} // namespace vitals::http
