// Vitals "disk" checker: how full a filesystem is. SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>

#include <sys/statvfs.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <string>
#include <system_error>

namespace {

// key, type, required, default, description, secret
constexpr vitals_param_spec disk_params[] = {
    {"path", VITALS_PARAM_STRING, 0, "/",
     "Absolute path to any file or directory on the filesystem to check", 0},
    {"warning", VITALS_PARAM_FLOAT, 0, "80",
     "Warn when this percentage of the filesystem is used (0-100)", 0},
    {"error", VITALS_PARAM_FLOAT, 0, "90",
     "Fail when this percentage of the filesystem is used (0-100)", 0},
    {}, // the NULL key that ends the table
};

/// Fixed-point text. Unlike iostreams or printf, to_chars ignores the process locale, which
/// the agent does not control for its plugins.
std::string fixed(double value, int decimals) {
    std::array<char, 64> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                            std::chars_format::fixed, decimals);
    if (error != std::errc{}) return "?"; // only for values far beyond any disk size
    return {buffer.data(), end};
}

/// "12.3 GiB": binary units, as `df -h` prints them.
std::string human_bytes(std::uint64_t bytes) {
    constexpr std::array units{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    auto value = static_cast<double>(bytes);
    std::size_t unit = 0;
    for (; value >= 1024 && unit + 1 < units.size(); ++unit)
        value /= 1024;
    return fixed(value, unit == 0 ? 0 : 1) + " " + units[unit];
}

/// Space on one filesystem, counted the way `df` counts it: blocks reserved for root are
/// neither used nor available, so a full disk reads 100% even while root can still write.
struct Usage {
    std::uint64_t used_bytes;
    std::uint64_t available_bytes;

    static Usage of(const struct statvfs &fs) {
        // The block counts are in fragments (f_frsize), not in the preferred I/O size (f_bsize).
        const std::uint64_t fragment = fs.f_frsize;
        return {(fs.f_blocks - fs.f_bfree) * fragment, fs.f_bavail * fragment};
    }

    /// What unprivileged users can fill; used_bytes + available_bytes, so that the percentage,
    /// the message and the metrics all agree.
    std::uint64_t total_bytes() const { return used_bytes + available_bytes; }

    double used_percent() const {
        return static_cast<double>(used_bytes) / static_cast<double>(total_bytes()) * 100;
    }
};

class DiskCheck {
public:
    explicit DiskCheck(const vitals::Params &params)
        : path_(params.string("path")), warning_(params.number("warning")),
          error_(params.number("error")) {
        // Relative paths would depend on the agent's working directory, which nobody configures.
        if (path_.empty() || path_.front() != '/')
            params.reject("path", "must be an absolute path, got \"" + path_ + "\"");
        require_percentage(params, "warning", warning_);
        require_percentage(params, "error", error_);
        if (warning_ > error_)
            params.reject("warning", "must not be above error (" + fixed(warning_, 1) + " > " +
                                         fixed(error_, 1) + ")");
    }

    void run(vitals::Run &run) const {
        struct statvfs fs {};
        if (statvfs(path_.c_str(), &fs) != 0) {
            // Not strerror(): its buffer may be shared with checks running on other threads.
            const std::string reason = std::generic_category().message(errno);
            run.error("cannot check " + path_ + ": statvfs: " + reason);
            return;
        }
        const Usage usage = Usage::of(fs);
        if (usage.total_bytes() == 0) {
            run.error(path_ +
                      " has no usable space to measure (a pseudo-filesystem such as /proc?)");
            return;
        }
        report(run, usage);
    }

private:
    static void require_percentage(const vitals::Params &params, const char *key, double value) {
        // Written as a positive range test so that NaN, which TOML allows, fails it too.
        if (!(value >= 0 && value <= 100))
            params.reject(key, "must be a percentage from 0 to 100, got " + fixed(value, 1));
    }

    vitals::Status status_for(double percent) const {
        if (percent >= error_) return vitals::Status::error;
        if (percent >= warning_) return vitals::Status::warning;
        return vitals::Status::ok;
    }

    void report(vitals::Run &run, const Usage &usage) const {
        const double percent = usage.used_percent();
        run.metric("used_percent", percent, "percent");
        run.metric("used_bytes", static_cast<double>(usage.used_bytes), "bytes");
        run.metric("total_bytes", static_cast<double>(usage.total_bytes()), "bytes");
        run.metric("available_bytes", static_cast<double>(usage.available_bytes), "bytes");
        run.result(status_for(percent), path_ + " " + fixed(percent, 1) + "% used (" +
                                            human_bytes(usage.used_bytes) + " of " +
                                            human_bytes(usage.total_bytes()) + ")");
    }

    std::string path_;
    double warning_;
    double error_;
};

} // namespace

VITALS_CPP_PLUGIN(DiskCheck, "disk", "0.1.0", "How full the filesystem holding a path is",
                  disk_params)
