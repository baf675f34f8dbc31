// Finds and loads http.so's https module the first time it is needed. SPDX-License-Identifier: MIT
#pragma once

#include "https_module.hpp"

#include <stdexcept>
#include <string>

namespace vitals::http {

/// The module cannot be found, loaded, or is from another build; the text names its path.
class HttpsModuleError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The https module, loaded on the first call and kept for the life of the process (OpenSSL
/// and Poco NetSSL keep state that would dangle if it were unloaded). Thread-safe; a failed
/// load throws HttpsModuleError and is tried again on the next call.
const HttpsModule &https_module();

/// Where the module is: http.d/https.so in the directory of the http.so running this code.
/// Not a *.so of the plugin directory itself, which the agent would take for a plugin.
std::string https_module_path();

/// The file a library the dynamic linker knows as `loaded_as` (dladdr()'s name) came from.
/// vitalsd maps a private copy of each plugin file, through /proc/self/fd, named after the
/// file (docs/plugin-guide.md); any other name is returned as it is.
std::string own_file(const std::string &loaded_as);

} // namespace vitals::http
