// TLS as a module of its own (vitals-tls.so), loaded the first time the agent
// serves HTTPS or `vitalsd push` speaks it. SPDX-License-Identifier: MIT
//
// Poco NetSSL pulls in PocoUtil, PocoXML, expat, PocoCrypto, libssl and
// libcrypto: about 3 MB of resident memory in every agent, most of which never
// use TLS. The module is part of the agent's own build, never a plugin: C++
// types cross this boundary, so the table is checked against this build's version.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>

#include "config/listen_address.hpp"
#include "config/tls_settings.hpp"
#include "http/server/tls_server_context.hpp"
#include "push/client_tls.hpp"

namespace vitals {

/// What the module hands the agent, from its exported `vitals_tls_module_table`.
struct TlsModule {
    /// The module's VITALS_VERSION and sizeof(TlsModule) as it was built: a
    /// module left behind by another version is refused, not called.
    const char *version;
    std::size_t size;
    std::unique_ptr<TlsServerContext> (*server_context)(const TlsSettings &settings);
    std::unique_ptr<Poco::Net::HTTPClientSession> (*https_agent_session)(
        const ListenAddress &address, const ClientTls &tls);
    bool (*is_certificate_rejection)(const Poco::Exception &error);
};

/// The module cannot be found, loaded, or is from another build.
class TlsModuleError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Loads the module on first use (later calls return the same table; a failed
/// load is tried again). Throws TlsModuleError naming every place it looked.
const TlsModule &tls_module();

/// Where the module is looked for, first match wins: next to the executable (a
/// build tree), then where an install puts it relative to the executable, then
/// (source builds) this build tree's own copy, for test binaries.
std::vector<std::filesystem::path> tls_module_candidates();

} // namespace vitals

/// The one symbol the module exports.
extern "C" const vitals::TlsModule *vitals_tls_module_table();
