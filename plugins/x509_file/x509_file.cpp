// Vitals "x509_file" checker: certificates on disk (PEM bundles, DER, globs): days to expiry,
// not yet valid, optionally a chain that verifies against a CA file and a key that matches.
// SPDX-License-Identifier: MIT
#include "certificate_files.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/certificate_text.hpp>
#include <vitals_plugins/deadline.hpp>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace vitals::plugins;
using namespace vitals::x509_file;
using vitals::Status;

// key, type, required, default, description, secret
constexpr vitals_param_spec x509_file_params[] = {
    {"paths", VITALS_PARAM_STRING_LIST, 1, nullptr,
     "Absolute paths or glob patterns of certificate files, PEM (every certificate in a "
     "bundle) or DER",
     0},
    {"warning_days", VITALS_PARAM_INT, 0, "30",
     "Warn when a certificate expires in fewer days than this", 0},
    {"error_days", VITALS_PARAM_INT, 0, "7",
     "Fail when a certificate expires in fewer days than this", 0},
    {"ca_file", VITALS_PARAM_STRING, 0, nullptr,
     "PEM file of CA certificates every certificate's chain must verify against (the other "
     "certificates of its file serve as intermediates)",
     0},
    {"key_file", VITALS_PARAM_STRING, 0, nullptr,
     "Private key (PEM or DER, unencrypted) that must match the first certificate of the one "
     "file in paths",
     0},
    {}, // the NULL key that ends the table
};

void require_absolute(const vitals::Params &params, const char *key, const std::string &path) {
    if (path.empty() || path.front() != '/')
        params.reject(key, "must be an absolute path, got \"" + path + "\"");
}

/// A stack that borrows its certificates: freeing it leaves them to their owners.
struct StackDeleter {
    void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_free(stack); }
};
struct StoreContextDeleter {
    void operator()(X509_STORE_CTX *context) const noexcept { X509_STORE_CTX_free(context); }
};

/// What the run found about one certificate, or about a file it could not read.
struct Finding {
    Status status = Status::ok;
    std::string text;
    double days_left = std::numeric_limits<double>::infinity(); ///< none: sorts last
};

/// Worst status first; among equals, the soonest expiry.
bool more_urgent(const Finding &a, const Finding &b) {
    if (a.status != b.status) return a.status > b.status;
    return a.days_left < b.days_left;
}

std::string plural(std::size_t count, const char *noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

class X509FileCheck {
public:
    explicit X509FileCheck(const vitals::Params &params)
        : patterns_(params.strings("paths")), days_(day_limits(params)) {
        if (patterns_.empty()) params.reject("paths", "must name at least one file");
        for (const std::string &pattern : patterns_)
            require_absolute(params, "paths", pattern);
        if (params.has("ca_file")) {
            ca_file_ = params.string("ca_file");
            require_absolute(params, "ca_file", ca_file_);
        }
        if (params.has("key_file")) {
            key_file_ = params.string("key_file");
            require_absolute(params, "key_file", key_file_);
            // "Its certificate" must be one certificate: the first of one named file.
            if (patterns_.size() != 1 || is_pattern(patterns_.front()))
                params.reject("key_file", "needs paths to name exactly one file, not a pattern "
                                          "or several");
        }
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) return;
        ERR_clear_error(); // the queue is per thread; start this run with an empty one

        std::vector<Finding> findings;
        TrustStore trust;
        if (!ca_file_.empty()) {
            try {
                trust = read_trust_store(ca_file_);
            } catch (const ReadFailure &failure) {
                run.error("cannot load ca_file " + failure.reason);
                return;
            }
        }
        std::size_t files = 0;
        std::size_t certificates = 0;
        for (const std::string &pattern : patterns_) {
            std::vector<std::string> paths;
            try {
                paths = expand(pattern);
            } catch (const ReadFailure &failure) {
                findings.push_back({Status::error, failure.reason});
                continue;
            }
            for (const std::string &path : paths) {
                if (Clock::now() >= *deadline) {
                    run.error("timed out after reading " + plural(files, "file") + " of " +
                              pattern);
                    return;
                }
                ++files;
                certificates += check_file(path, trust.get(), findings);
            }
        }
        report(run, findings, files, certificates);
    }

private:
    /// Adds a finding per certificate in `path` (or one for the file when it cannot be read);
    /// returns how many certificates it holds.
    std::size_t check_file(const std::string &path, X509_STORE *trust,
                           std::vector<Finding> &findings) const {
        std::vector<Certificate> certs;
        try {
            certs = read_certificates(path);
        } catch (const ReadFailure &failure) {
            findings.push_back({Status::error, failure.reason});
            return 0;
        }
        for (std::size_t i = 0; i < certs.size(); ++i) {
            const std::string where =
                path + (certs.size() > 1 ? " (" + std::to_string(i + 1) + " of " +
                                               std::to_string(certs.size()) + ")"
                                         : "");
            const Validity validity = judge_validity(certs[i].get(), days_, where);
            Finding finding{validity.status, validity.text,
                            validity.days_left.value_or(std::numeric_limits<double>::infinity())};
            if (trust) verify_chain(certs, i, trust, finding);
            if (i == 0 && !key_file_.empty()) match_key(certs[i].get(), finding);
            findings.push_back(std::move(finding));
        }
        return certs.size();
    }

    /// Whether certificate `index` of a file leads to a CA of ca_file, through the other
    /// certificates of the same file as intermediates.
    void verify_chain(const std::vector<Certificate> &certs, std::size_t index, X509_STORE *trust,
                      Finding &finding) const {
        const std::unique_ptr<STACK_OF(X509), StackDeleter> others{sk_X509_new_null()};
        const std::unique_ptr<X509_STORE_CTX, StoreContextDeleter> context{X509_STORE_CTX_new()};
        if (!others || !context) throw std::bad_alloc{};
        for (std::size_t i = 0; i < certs.size(); ++i)
            if (i != index) sk_X509_push(others.get(), certs[i].get()); // borrowed, not owned
        if (X509_STORE_CTX_init(context.get(), trust, certs[index].get(), others.get()) != 1)
            throw std::bad_alloc{};
        const bool verified = X509_verify_cert(context.get()) == 1;
        ERR_clear_error();
        if (verified) return;
        finding.status = Status::error;
        finding.text += ", but does not verify against " + ca_file_ + ": " +
                        X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()));
    }

    void match_key(X509 *cert, Finding &finding) const {
        PrivateKey key;
        try {
            key = read_private_key(key_file_);
        } catch (const ReadFailure &failure) {
            finding.status = Status::error;
            finding.text += ", but key_file " + failure.reason;
            return;
        }
        const bool matches = X509_check_private_key(cert, key.get()) == 1;
        ERR_clear_error();
        if (matches) return;
        finding.status = Status::error;
        finding.text += ", but " + key_file_ + " is not its private key";
    }

    void report(vitals::Run &run, std::vector<Finding> &findings, std::size_t files,
                std::size_t certificates) const {
        run.metric("certificates", static_cast<double>(certificates), "count");
        std::sort(findings.begin(), findings.end(), more_urgent);
        if (certificates > 0) {
            const auto soonest = std::min_element(
                findings.begin(), findings.end(),
                [](const Finding &a, const Finding &b) { return a.days_left < b.days_left; });
            run.metric("days_left", soonest->days_left, "days");
        }
        const Finding &worst = findings.front();
        std::string message = worst.text;
        if (findings.size() > 1) {
            const auto others_failing =
                std::count_if(findings.begin() + 1, findings.end(),
                              [](const Finding &finding) { return finding.status != Status::ok; });
            message +=
                " (" + plural(certificates, "certificate") + " in " + plural(files, "file") +
                (others_failing > 0 ? ", " + std::to_string(others_failing) + " more not ok" : "") +
                ")";
        }
        run.result(worst.status, message);
    }

    std::vector<std::string> patterns_;
    DayLimits days_;
    std::string ca_file_;
    std::string key_file_;
};

} // namespace

VITALS_CPP_PLUGIN(X509FileCheck, "x509_file", "0.1.0",
                  "Days until certificates in files expire, their chain and their key",
                  x509_file_params)
