// Vitals "dns" checker: does a name resolve, to what, and how fast; through the system resolver,
// or by asking a chosen server itself (server_check.cpp). SPDX-License-Identifier: MIT
#include "server_check.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
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
    {"name", VITALS_PARAM_STRING, 1, nullptr,
     "Name to resolve (for type PTR, an IP address may be given)", 0},
    {"family", VITALS_PARAM_STRING, 0, "any",
     "System resolver: addresses asked for, any (IPv4 and IPv6), ipv4 (A) or ipv6 (AAAA)", 0},
    {"expect", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "Addresses (or, with server, records of the type asked for) the answer must hold (see "
     "match)",
     0},
    // No default in the table, so that setting it without expect can be refused.
    {"match", VITALS_PARAM_STRING, 0, nullptr,
     "How expect is compared: all (default: each expected address is in the answer), any (at "
     "least one is), exact (the answer is exactly the expected set) or, with server, regex (each "
     "pattern matches a record)",
     0},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr, "Warn when resolving takes longer than this", 0},
    {"error", VITALS_PARAM_DURATION, 0, nullptr, "Fail when resolving takes longer than this", 0},
    // Without defaults in the table, so that setting them without server can be refused.
    {"server", VITALS_PARAM_STRING, 0, nullptr,
     "IP address of a name server to ask directly (through c-ares) instead of the system "
     "resolver",
     0},
    {"port", VITALS_PARAM_INT, 0, nullptr, "With server: its port (53)", 0},
    {"type", VITALS_PARAM_STRING, 0, nullptr,
     "With server: the record type, A (default), AAAA, CNAME, MX, TXT, SRV, NS, SOA or PTR", 0},
    {"tcp", VITALS_PARAM_BOOL, 0, nullptr,
     "With server: ask over TCP from the start (default: UDP, TCP when truncated)", 0},
    {"expect_nxdomain", VITALS_PARAM_BOOL, 0, nullptr,
     "With server: the name must not exist (NXDOMAIN is ok, an answer an error)", 0},
    {}, // the NULL key that ends the table
};

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
        if (params.has("server")) {
            server_check_.emplace(params);
            return;
        }
        for (const char *key : {"port", "type", "tcp", "expect_nxdomain"})
            if (params.has(key)) params.reject(key, "needs server: the system resolver has none");

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
        match_ = vitals::dns::read_match(params, false);

        limits_ = time_limits(params, "lookup");
    }

    void run(vitals::Run &run) const {
        if (server_check_) {
            server_check_->run(run);
            return;
        }
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
    void report(vitals::Run &run, const Answer &answer) const {
        run.metric("resolve_time", to_seconds(answer.elapsed), "seconds");
        run.metric("address_count", static_cast<double>(answer.addresses.size()), "count");
        std::string message = name_ + " resolved to " + vitals::dns::list_items(answer.addresses) +
                              " in " + format_duration(answer.elapsed);
        if (answer.addresses.empty()) {
            run.error(name_ + " resolved to no address");
            return;
        }
        if (const std::string problem =
                vitals::dns::mismatch(expect_, {}, match_, answer.addresses);
            !problem.empty()) {
            run.error(message + ", " + problem);
            return;
        }
        if (limits_.error && answer.elapsed > *limits_.error)
            run.error(message + ", slower than " + format_duration(*limits_.error));
        else if (limits_.warning && answer.elapsed > *limits_.warning)
            run.warning(message + ", slower than " + format_duration(*limits_.warning));
        else
            run.ok(message);
    }

    std::string name_;
    std::optional<vitals::dns::ServerCheck> server_check_; ///< set: asks that server itself
    int family_ = AF_UNSPEC;
    std::vector<std::string> expect_; ///< canonical text
    vitals::dns::Match match_ = vitals::dns::Match::all;
    TimeLimits limits_;
};

} // namespace

VITALS_CPP_PLUGIN(DnsCheck, "dns", "0.1.0",
                  "Whether a host name resolves, to the expected addresses, and how fast",
                  dns_params)
