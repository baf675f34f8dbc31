// Test plugin: sleeps, then reports what it was told to. SPDX-License-Identifier: MIT
//
// It also measures its own concurrency so scheduler tests can prove that one
// instance never runs on two threads at once.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include <vitals/plugin.hpp>

namespace {

const vitals_param_spec params[] = {
    {"sleep", VITALS_PARAM_DURATION, 0, "0s", "how long each run takes", 0},
    {"status", VITALS_PARAM_STRING, 0, "ok", "ok, warning, error, none or throw", 0},
    {"message", VITALS_PARAM_STRING, 0, "slept", "the result message", 0},
    {"reject", VITALS_PARAM_STRING, 0, nullptr, "if set, create() rejects it with this text", 0},
    {"status_file", VITALS_PARAM_STRING, 0, nullptr,
     "if set, each run reads its status word from this file (\"warning,error\": in turn)", 0},
    {"extra_metric", VITALS_PARAM_STRING, 0, nullptr, "name of one more metric to report", 0},
    {"extra_unit", VITALS_PARAM_STRING, 0, "", "its unit", 0},
    {"credential", VITALS_PARAM_STRING, 0, nullptr, "unused; declared secret for redaction tests",
     1},
    {}};

class Sleepy {
public:
    explicit Sleepy(const vitals::Params &p)
        : sleep_(p.duration("sleep")), status_(p.string("status")), message_(p.string("message")) {
        if (p.has("reject")) p.reject("reject", p.string("reject"));
        if (p.has("credential")) (void)p.string("credential");
        if (p.has("extra_metric")) extra_metric_ = p.string("extra_metric");
        extra_unit_ = p.string("extra_unit");
        if (p.has("status_file")) status_file_ = p.string("status_file");
    }

    void run(vitals::Run &run) {
        const int concurrent = ++in_flight_;
        max_in_flight_ = std::max(max_in_flight_.load(), concurrent);
        std::this_thread::sleep_for(sleep_);
        ++runs_;
        --in_flight_;
        run.metric("runs", runs_, "");
        run.metric("max_concurrency", max_in_flight_, "");
        if (!extra_metric_.empty()) run.metric(extra_metric_.c_str(), 42.5, extra_unit_.c_str());
        const std::string status =
            status_file_.empty() ? status_ : in_turn(read_word(status_file_), runs_);
        if (status == "throw") throw std::runtime_error("sleepy was told to throw");
        if (status == "none") return;
        if (status == "warning") return run.warning(message_);
        if (status == "error") return run.error(message_);
        run.ok(message_);
    }

private:
    /// One of "a,b,c" by run number: a, b, c, a, ...
    static std::string in_turn(const std::string &words, int run) {
        std::vector<std::string> each;
        for (std::size_t from = 0; from <= words.size();) {
            const auto comma = std::min(words.find(',', from), words.size());
            each.push_back(words.substr(from, comma - from));
            from = comma + 1;
        }
        return each[static_cast<std::size_t>(run) % each.size()];
    }

    static std::string read_word(const std::string &file) {
        std::ifstream in{file};
        std::string word;
        in >> word;
        return word;
    }

    std::chrono::nanoseconds sleep_;
    std::string status_;
    std::string message_;
    std::string extra_metric_;
    std::string extra_unit_;
    std::string status_file_;
    std::atomic<int> in_flight_{0};
    std::atomic<int> max_in_flight_{0};
    int runs_ = 0;
};

} // namespace

VITALS_CPP_PLUGIN(Sleepy, "sleepy", "1.0.0", "test plugin that sleeps", params)
