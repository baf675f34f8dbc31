// SPDX-License-Identifier: MIT
#include "push/agent_session.hpp"

#include "tls/tls_module.hpp"

namespace vitals {

std::unique_ptr<Poco::Net::HTTPClientSession> open_agent_session(const ListenAddress &address,
                                                                 const ClientTls &tls) {
    if (!tls.https)
        return std::make_unique<Poco::Net::HTTPClientSession>(address.host, address.port);
    return tls_module().https_agent_session(address, tls);
}

bool agent_certificate_rejected(const Poco::Exception &error) {
    return tls_module().is_certificate_rejection(error);
}

} // namespace vitals
