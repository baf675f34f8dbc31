// The http plugin's HTTPS half, a module of its own (http.d/https.so beside http.so) that
// http.so loads the first time a check meets an https URL. SPDX-License-Identifier: MIT
//
// Poco NetSSL brings PocoUtil, PocoXML, expat, PocoCrypto, libssl and libcrypto: about
// 3 MB of resident memory in every agent that loads http.so, most of which only ever ask
// http:// URLs. The module is part of this build, never a plugin of its own: C++ types
// cross this boundary, so the table is checked against the build of http.so.
#pragma once

#include "watched_session.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace vitals::http {

/// A check's TLS parameters.
struct TlsSettings {
    bool verify = true;  ///< the chain and the host name
    std::string ca_file; ///< trusted instead of the system's CAs; empty for those
};

/// One check's TLS: its context, made on first use, and how its failures read. Calls on one
/// client are serialised, as the host serialises runs of one check.
class TlsClient {
public:
    virtual ~TlsClient() = default;

    /// An HTTPS session to host:port that tells `observer` once the handshake is done.
    /// Throws std::runtime_error with the words that follow "METHOD URL: " when the TLS
    /// settings cannot be set up ("cannot load ca_file /etc/x.pem"); the next call retries.
    virtual std::unique_ptr<Poco::Net::HTTPClientSession>
    session(const std::string &host, std::uint16_t port, ConnectionObserver &observer) = 0;

    /// TLS's words for a failure of the latest session made on this thread, or "" when
    /// TLS is not what failed. `connected`: whether the handshake had completed.
    virtual std::string describe(const Poco::Exception &error, const std::string &host,
                                 bool connected, const char *phase) const = 0;
};

/// What the module hands http.so, from its one exported function.
struct HttpsModule {
    /// The module's version and sizeof(HttpsModule) as it was built: a module left behind
    /// by another build is refused, not called.
    const char *version;
    std::size_t size;
    std::unique_ptr<TlsClient> (*client)(const TlsSettings &settings);
};

} // namespace vitals::http

/// The one symbol the module exports, and its name for dlsym.
extern "C" const vitals::http::HttpsModule *vitals_http_https_module();
#define VITALS_HTTP_HTTPS_MODULE_SYMBOL "vitals_http_https_module"
