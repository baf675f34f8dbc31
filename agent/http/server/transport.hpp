// Bytes in and out of one accepted connection: plain TCP or TLS. SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>

namespace vitals {

/// What a non-blocking read or write did. `want_read`/`want_write`: nothing more
/// now; call again when the socket is readable/writable (TLS may need either).
enum class IoStatus { progressed, want_read, want_write, closed, failed };

class Transport {
public:
    virtual ~Transport() = default;
    /// Reads up to `size` bytes into `buffer`; `count` is what arrived.
    virtual IoStatus receive(char *buffer, std::size_t size, std::size_t &count) = 0;
    /// Writes up to `size` bytes; `count` is what was taken.
    virtual IoStatus send(const char *data, std::size_t size, std::size_t &count) = 0;
};

/// Plain TCP over a non-blocking socket the caller owns.
std::unique_ptr<Transport> plain_transport(int fd);

} // namespace vitals
