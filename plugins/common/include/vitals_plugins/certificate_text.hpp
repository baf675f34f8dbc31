// What the certificate plugins (tls_cert, x509_file) share: their day limits, a
// certificate's dates and name as their messages write them, and OpenSSL's reasons.
// Header-only, because it needs OpenSSL, which the common library itself does not link: only
// a plugin that links OpenSSL includes it. SPDX-License-Identifier: MIT
#pragma once

#include <vitals/plugin.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <utility>

namespace vitals::plugins {

/// The reason of the oldest error on this thread's OpenSSL queue, which it then clears.
inline std::string openssl_reason(const char *fallback) {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return fallback;
    const char *reason = ERR_reason_error_string(code);
    return reason ? reason : fallback;
}

/// How many days before expiry a certificate warns and fails.
struct DayLimits {
    std::int64_t warning;
    std::int64_t error;
};

/// "warning_days" and "error_days", each from 0 to 3650, warning not below error.
inline DayLimits day_limits(const vitals::Params &params) {
    const DayLimits limits{params.integer("warning_days"), params.integer("error_days")};
    for (const auto &[key, days] :
         {std::pair{"error_days", limits.error}, std::pair{"warning_days", limits.warning}})
        if (days < 0 || days > 3650)
            params.reject(key, "must be from 0 to 3650, got " + std::to_string(days));
    require_not_below(params, "warning_days", limits.warning, "error_days", limits.error,
                      [](std::int64_t days) { return std::to_string(days); });
    return limits;
}

/// "9.9 days", "364 days": rounded down, so that "in 10 days" never means 9.97.
inline std::string days_text(double days) {
    const std::string number =
        days >= 10 ? fixed(std::floor(days), 0) : fixed(std::floor(days * 10) / 10, 1);
    return number + " days";
}

/// "2026-12-01 10:00 UTC"
inline std::string format_time(const ASN1_TIME *time) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(time, &tm) != 1) return "?";
    std::array<char, 32> text{};
    const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M UTC", &tm);
    return {text.data(), length};
}

/// Days from now until `time` (negative once past), to the second.
inline std::optional<double> days_until(const ASN1_TIME *time) {
    constexpr double seconds_per_day = 86400;
    int days = 0;
    int seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, time) != 1) return std::nullopt;
    return days + seconds / seconds_per_day;
}

/// The subject's CN, with anything unprintable as '?'; empty when there is none.
inline std::string common_name(X509 *cert) {
    std::array<char, 256> text{};
    const int length = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
                                                 text.data(), static_cast<int>(text.size()));
    if (length <= 0) return {};
    std::string name{text.data(), static_cast<std::size_t>(length)};
    for (char &c : name)
        if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
    return name;
}

/// A certificate's dates judged against the day limits.
struct Validity {
    vitals::Status status = vitals::Status::ok;
    /// "<where>: certificate CN=x expires 2027-01-15 23:59 UTC, in 9.9 days, less than 30 days"
    std::string text;
    std::optional<double> days_left; ///< none when the expiry date cannot be read
    bool dated_out = false;          ///< expired, not yet valid or unreadable: nothing else counts
};

/// Whether `cert` is valid now and for how long, named "<where>: certificate CN=...".
inline Validity judge_validity(X509 *cert, const DayLimits &days, const std::string &where) {
    const std::string cn = common_name(cert);
    const std::string subject = where + ": certificate" + (cn.empty() ? "" : " CN=" + cn);
    const ASN1_TIME *not_after = X509_get0_notAfter(cert);
    const auto days_left = days_until(not_after);
    if (!days_left)
        return {vitals::Status::error, subject + ": its expiry date cannot be read", {}, true};
    const std::string expiry = format_time(not_after);
    if (*days_left <= 0)
        return {vitals::Status::error,
                subject + " expired " + expiry + ", " + days_text(-*days_left) + " ago", days_left,
                true};
    if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
        return {vitals::Status::error,
                subject + " is not valid before " + format_time(X509_get0_notBefore(cert)),
                days_left, true};
    const std::string text = subject + " expires " + expiry + ", in " + days_text(*days_left);
    if (*days_left < static_cast<double>(days.error))
        return {vitals::Status::error, text + ", less than " + std::to_string(days.error) + " days",
                days_left};
    if (*days_left < static_cast<double>(days.warning))
        return {vitals::Status::warning,
                text + ", less than " + std::to_string(days.warning) + " days", days_left};
    return {vitals::Status::ok, text, days_left};
}

} // namespace vitals::plugins
