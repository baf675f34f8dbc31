// Vitals "dns" checker: does a name resolve, to what, and how fast. SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/units.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;
using namespace std::chrono_literals;

// key, type, required, default, description, secret
constexpr vitals_param_spec dns_params[] = {
    {"name", VITALS_PARAM_STRING, 1, nullptr, "Host name to resolve with the system resolver", 0},
    {"family", VITALS_PARAM_STRING, 0, "any",
     "Addresses asked for: any (IPv4 and IPv6), ipv4 (A) or ipv6 (AAAA)", 0},
    {"expect", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "IPv4/IPv6 addresses the answer must hold (see match)", 0},
    // No default in the table, so that setting it without expect can be refused.
    {"match", VITALS_PARAM_STRING, 0, nullptr,
     "How expect is compared: all (default: each expected address is in the answer), any (at "
     "least one is) or exact (the answer is exactly the expected set)",
     0},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr, "Warn when resolving takes longer than this", 0},
    {"error", VITALS_PARAM_DURATION, 0, nullptr, "Fail when resolving takes longer than this", 0},
    {}, // the NULL key that ends the table
};

/// "a, b, c and 4 more": an answer of a hundred addresses still fits a message.
std::string list_addresses(const std::vector<std::string> &addresses) {
    constexpr std::size_t shown = 8;
    if (addresses.size() <= shown) return join(addresses, ", ");
    const std::vector<std::string> head{addresses.begin(), addresses.begin() + shown};
    return join(head, ", ") + " and " + std::to_string(addresses.size() - shown) + " more";
}

/// The canonical text of an IPv4 or IPv6 address ("::0001" -> "::1"), or nothing.
std::optional<std::string> canonical_address(const std::string &text) {
    std::array<unsigned char, sizeof(in6_addr)> binary{};
    std::array<char, INET6_ADDRSTRLEN> out{};
    for (const int family : {AF_INET, AF_INET6}) {
        if (::inet_pton(family, text.c_str(), binary.data()) == 1 &&
            ::inet_ntop(family, binary.data(), out.data(), out.size()))
            return std::string{out.data()};
    }
    return std::nullopt;
}

timespec to_timespec(nanoseconds duration) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(duration);
    return {static_cast<std::time_t>(seconds.count()),
            static_cast<long>((duration - seconds).count())};
}

// ---------------------------------------------------------------- asynchronous lookups

/// One getaddrinfo_a() request. It lives on the heap because glibc keeps writing into it until
/// the lookup ends, which may be after the run that started it has given up.
class Lookup {
public:
    Lookup(std::string name, int family) : name_(std::move(name)) {
        hints_.ai_family = family;
        hints_.ai_socktype = SOCK_STREAM; // one entry per address, not one per socket type
        request_.ar_name = name_.c_str();
        request_.ar_request = &hints_;
    }
    Lookup(const Lookup &) = delete;
    Lookup &operator=(const Lookup &) = delete;
    ~Lookup() {
        if (request_.ar_result) ::freeaddrinfo(request_.ar_result);
    }

    gaicb *request() { return &request_; }
    /// EAI_INPROGRESS while running, then 0 or the getaddrinfo error.
    int state() { return ::gai_error(&request_); }
    const addrinfo *result() const { return request_.ar_result; }

private:
    std::string name_;
    addrinfo hints_{};
    gaicb request_{};
};

/// Lookups that glibc could not cancel, kept until they end. Shared by every check, hence the
/// lock. Whatever is still running when the plugin unloads is leaked on purpose: freeing it
/// would let glibc write into freed memory.
class Abandoned {
public:
    ~Abandoned() {
        const std::lock_guard lock{mutex_};
        for (auto &lookup : lookups_)
            if (lookup->state() == EAI_INPROGRESS) static_cast<void>(lookup.release());
    }

    void keep(std::unique_ptr<Lookup> lookup) {
        const std::lock_guard lock{mutex_};
        lookups_.push_back(std::move(lookup));
    }

    /// Frees the lookups that have ended since.
    void reap() {
        const std::lock_guard lock{mutex_};
        std::erase_if(lookups_, [](const std::unique_ptr<Lookup> &lookup) {
            return lookup->state() != EAI_INPROGRESS;
        });
    }

private:
    std::mutex mutex_;
    std::vector<std::unique_ptr<Lookup>> lookups_;
};

Abandoned &abandoned() {
    static Abandoned lookups;
    return lookups;
}

/// What a bounded lookup came to.
struct Answer {
    int error = 0; ///< 0, a getaddrinfo error, or EAI_AGAIN with timed_out
    bool timed_out = false;
    std::vector<std::string> addresses; ///< numeric, in the resolver's order, no duplicates
    nanoseconds elapsed{};
};

std::vector<std::string> numeric_addresses(const addrinfo *list) {
    std::vector<std::string> addresses;
    for (const addrinfo *entry = list; entry; entry = entry->ai_next) {
        std::array<char, NI_MAXHOST> text{};
        if (::getnameinfo(entry->ai_addr, entry->ai_addrlen, text.data(), text.size(), nullptr, 0,
                          NI_NUMERICHOST) != 0)
            continue;
        if (std::find(addresses.begin(), addresses.end(), text.data()) == addresses.end())
            addresses.emplace_back(text.data());
    }
    return addresses;
}

/// Resolves `name` but gives up at `deadline`. Plain getaddrinfo() cannot be given a deadline:
/// with an unreachable name server it waits for resolv.conf's retries, tens of seconds.
Answer resolve(const std::string &name, int family, Clock::time_point deadline) {
    abandoned().reap();
    auto lookup = std::make_unique<Lookup>(name, family);
    gaicb *list[] = {lookup->request()};
    const auto start = Clock::now();
    Answer answer;
    // No notification (NULL sigevent): gai_suspend() below waits for it.
    if (const int rc = ::getaddrinfo_a(GAI_NOWAIT, list, 1, nullptr); rc != 0) {
        answer.error = rc;
        return answer;
    }
    int state = lookup->state();
    while (state == EAI_INPROGRESS) {
        const nanoseconds left = deadline - Clock::now();
        if (left <= 0ns) break;
        const timespec wait = to_timespec(left);
        // Returns on completion, on a signal or at the timeout; the loop sorts out which.
        ::gai_suspend(list, 1, &wait);
        state = lookup->state();
    }
    answer.elapsed = Clock::now() - start;
    if (state == EAI_INPROGRESS) {
        answer.timed_out = true;
        answer.error = EAI_AGAIN;
        // EAI_CANCELED: it never started; EAI_ALLDONE: it just ended and the Lookup frees it;
        // EAI_NOTCANCELED: a resolver thread is still on it.
        if (::gai_cancel(lookup->request()) == EAI_NOTCANCELED) abandoned().keep(std::move(lookup));
        return answer;
    }
    answer.error = state;
    if (state == 0) answer.addresses = numeric_addresses(lookup->result());
    return answer;
}

std::string describe_gai_error(int error) {
    // gai_strerror() returns static strings, safe on any thread.
    if (error == EAI_SYSTEM) return "system error";
    return after_colon(::gai_strerror(error));
}

// ---------------------------------------------------------------- the check

enum class Match { all, any, exact };

class DnsCheck {
public:
    explicit DnsCheck(const vitals::Params &params) : name_(params.string("name")) {
        if (name_.empty()) params.reject("name", "must not be empty");
        if (name_.size() > 253)
            params.reject("name", "is longer than the 253 characters a DNS name may have");
        if (std::any_of(name_.begin(), name_.end(), [](char c) {
                return std::isspace(static_cast<unsigned char>(c)) || c == '\0';
            }))
            params.reject("name", "must not contain spaces");

        const std::string family = params.string("family");
        if (family == "any")
            family_ = AF_UNSPEC;
        else if (family == "ipv4")
            family_ = AF_INET;
        else if (family == "ipv6")
            family_ = AF_INET6;
        else
            params.reject("family", "must be any, ipv4 or ipv6, got \"" + family + "\"");

        if (params.has("expect")) {
            for (const auto &item : params.strings("expect")) {
                const auto address = canonical_address(item);
                if (!address)
                    params.reject("expect", "\"" + item + "\" is not an IPv4 or IPv6 address");
                if (family_ == AF_INET && address->find(':') != std::string::npos)
                    params.reject("expect", "\"" + item + "\" is IPv6 but family = \"ipv4\"");
                if (family_ == AF_INET6 && address->find(':') == std::string::npos)
                    params.reject("expect", "\"" + item + "\" is IPv4 but family = \"ipv6\"");
                if (std::find(expect_.begin(), expect_.end(), *address) == expect_.end())
                    expect_.push_back(*address);
            }
            if (expect_.empty())
                params.reject("expect", "must list at least one address (or be left out)");
        }
        if (params.has("match")) {
            const std::string match = params.string("match");
            if (match == "all")
                match_ = Match::all;
            else if (match == "any")
                match_ = Match::any;
            else if (match == "exact")
                match_ = Match::exact;
            else
                params.reject("match", "must be all, any or exact, got \"" + match + "\"");
            if (expect_.empty()) params.reject("match", "has no effect without expect");
        }

        if (params.has("warning")) warning_ = params.duration("warning");
        if (params.has("error")) error_ = params.duration("error");
        if (warning_ && *warning_ <= 0ns)
            params.reject("warning", "must be longer than zero: every lookup would warn");
        if (error_ && *error_ <= 0ns)
            params.reject("error", "must be longer than zero: every lookup would fail");
        if (warning_ && error_ && *warning_ > *error_)
            params.reject("warning", "must not be longer than error (" +
                                         format_duration(*warning_) + " > " +
                                         format_duration(*error_) + ")");
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to resolve " + name_);
            return;
        }
        const Answer answer = resolve(name_, family_, *deadline);
        if (answer.timed_out) {
            run.error("cannot resolve " + name_ + ": timed out after " +
                      format_duration(answer.elapsed));
            return;
        }
        if (answer.error != 0) {
            run.error("cannot resolve " + name_ + ": " + describe_gai_error(answer.error));
            return;
        }
        report(run, answer);
    }

private:
    /// Why the answer does not meet expect, or "" when it does.
    std::string mismatch(const std::vector<std::string> &addresses) const {
        const auto in = [](const std::vector<std::string> &list, const std::string &item) {
            return std::find(list.begin(), list.end(), item) != list.end();
        };
        std::vector<std::string> missing;
        for (const auto &address : expect_)
            if (!in(addresses, address)) missing.push_back(address);
        switch (match_) {
        case Match::any:
            if (missing.size() == expect_.size())
                return "expected any of " + list_addresses(expect_);
            return {};
        case Match::all:
            if (!missing.empty()) return "missing " + list_addresses(missing);
            return {};
        case Match::exact: {
            std::vector<std::string> unexpected;
            for (const auto &address : addresses)
                if (!in(expect_, address)) unexpected.push_back(address);
            std::vector<std::string> problems;
            if (!missing.empty()) problems.push_back("missing " + list_addresses(missing));
            if (!unexpected.empty()) problems.push_back("unexpected " + list_addresses(unexpected));
            return join(problems, "; ");
        }
        }
        return {};
    }

    void report(vitals::Run &run, const Answer &answer) const {
        run.metric("resolve_time", to_seconds(answer.elapsed), "seconds");
        run.metric("address_count", static_cast<double>(answer.addresses.size()), "count");
        std::string message = name_ + " resolved to " + list_addresses(answer.addresses) + " in " +
                              format_duration(answer.elapsed);
        if (answer.addresses.empty()) {
            run.error(name_ + " resolved to no address");
            return;
        }
        if (const std::string problem = mismatch(answer.addresses); !problem.empty()) {
            run.error(message + ", " + problem);
            return;
        }
        if (error_ && answer.elapsed > *error_)
            run.error(message + ", slower than " + format_duration(*error_));
        else if (warning_ && answer.elapsed > *warning_)
            run.warning(message + ", slower than " + format_duration(*warning_));
        else
            run.ok(message);
    }

    std::string name_;
    int family_ = AF_UNSPEC;
    std::vector<std::string> expect_; ///< canonical text
    Match match_ = Match::all;
    std::optional<nanoseconds> warning_;
    std::optional<nanoseconds> error_;
};

} // namespace

VITALS_CPP_PLUGIN(DnsCheck, "dns", "0.1.0",
                  "Whether a host name resolves, to the expected addresses, and how fast",
                  dns_params)
