// "spool": files waiting in a directory. SPDX-License-Identifier: MIT
//
// A complete Vitals plugin in C++ with the SDK's wrapper, built out of tree (see
// CMakeLists.txt next to it). Copy this folder to start your own. A mail queue, an
// outbox or an upload folder that a consumer drains should stay short and fresh: this
// check counts its files and warns or fails on the count or on the oldest file's age.
//
//   [check.outbox]
//   plugin = "spool"
//   params = { path = "/var/spool/outbox", warning = 100, error = 1000, max_age = "15m" }
#include <vitals/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The host checks types, required keys, unknown keys and (since ABI 1.1) ranges against
// this table before the constructor runs, and reports mistakes with conf.d's file and
// line. Defaults are text, written as a user would write them. Every member is given, in
// order: GCC's -Wextra warns about one left out. The empty entry ends the table.
const vitals_param_spec spool_params[] = {
    // key, type, required, default, description, secret, min, max, choices, limits
    {"path", VITALS_PARAM_STRING, 1, nullptr, "the directory to watch", 0, 0, 0, nullptr, 0},
    {"warning", VITALS_PARAM_INT, 0, "100", "warn at this many files", 0, 0, 0, nullptr,
     VITALS_LIMIT_MIN},
    {"error", VITALS_PARAM_INT, 0, "1000", "fail at this many files", 0, 0, 0, nullptr,
     VITALS_LIMIT_MIN},
    // In seconds for a duration: at least one second.
    {"max_age", VITALS_PARAM_DURATION, 0, nullptr, "fail when the oldest file is older", 0, 1, 0,
     nullptr, VITALS_LIMIT_MIN},
    {}};

// Given to the host as a whole number; the unit vocabulary is in docs/plugin-guide.md.
double seconds(std::chrono::nanoseconds age) {
    return std::chrono::duration<double>(age).count();
}

class Spool {
public:
    // Runs on the configuration thread, and also for `vitalsd --check-config`: read and
    // validate parameters, touch nothing on the system. A getter that fails has already
    // told the host why, and throws to end the constructor.
    explicit Spool(const vitals::Params &params)
        : path_(params.string("path")), warning_(params.integer("warning")),
          error_(params.integer("error")) {
        if (params.has("max_age")) max_age_ = params.duration("max_age");
        // What the table cannot express is the plugin's to reject: the host adds file and
        // line. A 1.0 agent ignores the table's ranges, so the plugin checks them too.
        if (warning_ < 0) params.reject("warning", "must not be negative");
        if (error_ < warning_) params.reject("error", "must be at least warning");
    }

    // Runs on a scheduler thread; never on two threads at once for one instance, so the
    // members need no lock. Anything it throws becomes an error result with the text.
    void run(vitals::Run &run) {
        std::error_code ec;
        fs::directory_iterator it{path_, ec};
        if (ec) return run.error("cannot read " + path_ + ": " + ec.message());

        std::int64_t files = 0;
        auto oldest = fs::file_time_type::max();
        for (const fs::directory_iterator end; it != end; it.increment(ec)) {
            // A directory of millions of files must not outlive the check's timeout:
            // past it the host has already recorded the run as timed out.
            if (files % 1024 == 0 && run.time_left() <= 0ns)
                return run.error("gave up counting after " + std::to_string(files) + " files");
            if (!it->is_regular_file(ec)) continue;
            ++files;
            const auto written = it->last_write_time(ec);
            if (!ec && written < oldest) oldest = written;
        }
        if (ec) return run.error("cannot read " + path_ + ": " + ec.message());

        run.metric("files", static_cast<double>(files), "count");
        const std::string summary = std::to_string(files) + " file(s) in " + path_;
        if (files > 0) {
            const auto age = std::chrono::duration_cast<std::chrono::nanoseconds>(
                fs::file_time_type::clock::now() - oldest);
            run.metric("oldest_age", seconds(age), "seconds");
            if (max_age_.count() > 0 && age > max_age_)
                return run.error(summary + ", the oldest waiting " +
                                 std::to_string(static_cast<long long>(seconds(age))) + " s");
        }
        if (files >= error_) return run.error(summary);
        if (files >= warning_) return run.warning(summary);
        run.ok(summary);
    }

private:
    std::string path_;
    std::int64_t warning_;
    std::int64_t error_;
    std::chrono::nanoseconds max_age_{0};
};

} // namespace

// The plugin's one exported symbol, vitals_plugin_entry, returning its descriptor.
VITALS_CPP_PLUGIN(Spool, "spool", "1.0.0", "files waiting in a directory: count and oldest age",
                  spool_params)
