// The TLS module's exported table. SPDX-License-Identifier: MIT
#include "tls/module/client_session.hpp"
#include "tls/module/server_context.hpp"
#include "tls/tls_module.hpp"

extern "C" __attribute__((visibility("default"))) const vitals::TlsModule *
vitals_tls_module_table() {
    static const vitals::TlsModule table{
        VITALS_VERSION,
        sizeof(vitals::TlsModule),
        &vitals::openssl_server_context,
        &vitals::https_agent_session,
        &vitals::is_certificate_rejection,
    };
    return &table;
}
