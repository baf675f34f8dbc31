// Certificates and keys read from files, PEM or DER. SPDX-License-Identifier: MIT
#include "certificate_files.hpp"

#include <vitals_plugins/certificate_text.hpp>
#include <vitals_plugins/fd.hpp>
#include <vitals_plugins/text.hpp>

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstddef>
#include <string_view>

namespace vitals::x509_file {

using vitals::plugins::describe_errno;
using vitals::plugins::openssl_reason;
using vitals::plugins::UniqueFd;

namespace {

/// Certificate files are kilobytes; a CA bundle is a few hundred. Anything much larger is
/// not what the check was pointed at, and is not read into the agent's memory.
constexpr off_t max_file_size = 16 * 1024 * 1024;

struct BioDeleter {
    void operator()(BIO *bio) const noexcept { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;

/// The whole file at `path`. Non-blocking and regular files only: a FIFO named by mistake
/// must not hang the run.
std::string read_file(const std::string &path) {
    const UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
    if (!fd.valid()) throw ReadFailure{path + ": " + describe_errno(errno)};
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) throw ReadFailure{path + ": " + describe_errno(errno)};
    if (S_ISDIR(info.st_mode)) throw ReadFailure{path + ": is a directory"};
    if (!S_ISREG(info.st_mode)) throw ReadFailure{path + ": is not a regular file"};
    if (info.st_size > max_file_size)
        throw ReadFailure{path + ": larger than 16 MiB, not a certificate file"};
    std::string contents(static_cast<std::size_t>(info.st_size), '\0');
    std::size_t filled = 0;
    while (filled < contents.size()) {
        const ssize_t got = ::read(fd.get(), contents.data() + filled, contents.size() - filled);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw ReadFailure{path + ": " + describe_errno(errno)};
        if (got == 0) break; // shrank while read: judge what there was
        filled += static_cast<std::size_t>(got);
    }
    contents.resize(filled);
    return contents;
}

bool is_pem(std::string_view contents) {
    return contents.find("-----BEGIN ") != std::string_view::npos;
}

Bio memory_bio(const std::string &contents) {
    Bio bio{BIO_new_mem_buf(contents.data(), static_cast<int>(contents.size()))};
    if (!bio) throw ReadFailure{"out of memory"};
    return bio;
}

/// What glob(3) could not search, for the run that called it (glob's error callback takes
/// no argument of ours; the run's thread is the one calling it).
thread_local std::string glob_failure;

int record_glob_failure(const char *path, int error) {
    if (error == ENOENT) return 0; // a directory that is not there holds no match
    glob_failure = std::string{path} + ": " + describe_errno(error);
    return 1; // stop: a directory that cannot be searched may hide certificates
}

struct GlobDeleter {
    void operator()(glob_t *found) const noexcept { ::globfree(found); }
};

/// A passphrase callback that never gives one and notes that one was asked for.
int refuse_passphrase(char *, int, int, void *asked) {
    *static_cast<bool *>(asked) = true;
    return -1;
}

} // namespace

bool is_pattern(const std::string &path) {
    return path.find_first_of("*?[") != std::string::npos;
}

std::vector<std::string> expand(const std::string &pattern) {
    if (!is_pattern(pattern)) return {pattern};
    glob_t found{};
    glob_failure.clear();
    const int rc = ::glob(pattern.c_str(), GLOB_MARK, &record_glob_failure, &found);
    const std::unique_ptr<glob_t, GlobDeleter> owner{&found};
    if (rc == GLOB_NOMATCH) throw ReadFailure{"no file matches " + pattern};
    if (rc == GLOB_ABORTED)
        throw ReadFailure{"cannot search " + pattern +
                          (glob_failure.empty() ? "" : ": " + glob_failure)};
    if (rc != 0) throw ReadFailure{"cannot search " + pattern + ": out of memory"};
    std::vector<std::string> files;
    for (std::size_t i = 0; i < found.gl_pathc; ++i) {
        std::string path = found.gl_pathv[i];
        if (!path.ends_with('/')) files.push_back(std::move(path)); // GLOB_MARK: a directory
    }
    if (files.empty()) throw ReadFailure{"no file matches " + pattern + ", only directories"};
    return files;
}

std::vector<Certificate> read_certificates(const std::string &path) {
    const std::string contents = read_file(path);
    std::vector<Certificate> certificates;
    ERR_clear_error();
    if (is_pem(contents)) {
        const Bio bio = memory_bio(contents);
        // _AUX: "TRUSTED CERTIFICATE" blocks too, as in the system's trust store.
        while (X509 *cert = PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr))
            certificates.emplace_back(cert);
        const unsigned long last = ERR_peek_last_error();
        const bool ended =
            ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
        if (!ended)
            throw ReadFailure{path + ": certificate " + std::to_string(certificates.size() + 1) +
                              " cannot be read: " + openssl_reason("malformed")};
        ERR_clear_error();
    } else {
        const auto *der = reinterpret_cast<const unsigned char *>(contents.data());
        if (X509 *cert = d2i_X509(nullptr, &der, static_cast<long>(contents.size())))
            certificates.emplace_back(cert);
        ERR_clear_error();
    }
    if (certificates.empty()) throw ReadFailure{path + ": holds no certificate (PEM or DER)"};
    return certificates;
}

PrivateKey read_private_key(const std::string &path) {
    const std::string contents = read_file(path);
    ERR_clear_error();
    PrivateKey key;
    bool passphrase_asked = false;
    if (is_pem(contents)) {
        const Bio bio = memory_bio(contents);
        key.reset(
            PEM_read_bio_PrivateKey(bio.get(), nullptr, &refuse_passphrase, &passphrase_asked));
    } else {
        const auto *der = reinterpret_cast<const unsigned char *>(contents.data());
        key.reset(d2i_AutoPrivateKey(nullptr, &der, static_cast<long>(contents.size())));
    }
    if (passphrase_asked) {
        ERR_clear_error();
        throw ReadFailure{path + ": the key is encrypted, and no passphrase is ever asked for"};
    }
    if (!key) throw ReadFailure{path + ": holds no private key: " + openssl_reason("unreadable")};
    ERR_clear_error();
    return key;
}

TrustStore read_trust_store(const std::string &path) {
    // Read through read_file first, for the same errors ("no such file or directory") and
    // limits as the certificates themselves.
    const std::vector<Certificate> cas = read_certificates(path);
    TrustStore store{X509_STORE_new()};
    if (!store) throw ReadFailure{"out of memory"};
    for (const Certificate &ca : cas)
        if (X509_STORE_add_cert(store.get(), ca.get()) != 1)
            throw ReadFailure{path + ": " + openssl_reason("cannot use a CA certificate")};
    return store;
}

} // namespace vitals::x509_file
