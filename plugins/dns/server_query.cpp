// One DNS question to one chosen server through c-ares. SPDX-License-Identifier: MIT
//
// c-ares, not a resolver of our own: it owns the wire format, retries, the TCP fallback on a
// truncated answer and the parsers of each record type. Only CNAME has no parser in c-ares
// 1.18; its one name is read with c-ares' own ares_expand_name().
#include "server_query.hpp"

#include <vitals_plugins/text.hpp>

#include <ares.h>
#include <ares_dns.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <mutex>

namespace vitals::dns {

using vitals::plugins::after_colon;
using vitals::plugins::Clock;
using vitals::plugins::to_lower;

namespace {

struct TypeName {
    RecordType type;
    const char *name;
    int code; // the RR type on the wire
};

constexpr std::array<TypeName, 9> type_names{{
    {RecordType::a, "A", ns_t_a},
    {RecordType::aaaa, "AAAA", ns_t_aaaa},
    {RecordType::cname, "CNAME", ns_t_cname},
    {RecordType::mx, "MX", ns_t_mx},
    {RecordType::txt, "TXT", ns_t_txt},
    {RecordType::srv, "SRV", ns_t_srv},
    {RecordType::ns, "NS", ns_t_ns},
    {RecordType::soa, "SOA", ns_t_soa},
    {RecordType::ptr, "PTR", ns_t_ptr},
}};

const TypeName &entry_of(RecordType type) {
    return *std::find_if(type_names.begin(), type_names.end(),
                         [&](const TypeName &entry) { return entry.type == type; });
}

/// ares_library_init() is not thread-safe; checks are created on several threads.
bool library_ready() {
    static const bool ready = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
    return ready;
}

struct ChannelDeleter {
    void operator()(ares_channel channel) const noexcept { ares_destroy(channel); }
};
using Channel = std::unique_ptr<std::remove_pointer_t<ares_channel>, ChannelDeleter>;

/// "mail.test." and "mail.test" are the same name; answers show it without the root dot.
std::string without_root(std::string name) {
    if (name.size() > 1 && name.back() == '.') name.pop_back();
    return to_lower(name);
}

std::string address_text(int family, const void *address) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    return ::inet_ntop(family, address, text.data(), text.size()) ? text.data() : "?";
}

// Each parser fills `result.records` from a whole answer, or returns a c-ares status.

int parse_a(const unsigned char *buffer, int length, QueryResult &result) {
    std::array<ares_addrttl, 64> addresses{};
    int count = static_cast<int>(addresses.size());
    const int status = ares_parse_a_reply(buffer, length, nullptr, addresses.data(), &count);
    for (int i = 0; status == ARES_SUCCESS && i < count; ++i)
        result.records.push_back(address_text(AF_INET, &addresses[i].ipaddr));
    return status;
}

int parse_aaaa(const unsigned char *buffer, int length, QueryResult &result) {
    std::array<ares_addr6ttl, 64> addresses{};
    int count = static_cast<int>(addresses.size());
    const int status = ares_parse_aaaa_reply(buffer, length, nullptr, addresses.data(), &count);
    for (int i = 0; status == ARES_SUCCESS && i < count; ++i)
        result.records.push_back(address_text(AF_INET6, &addresses[i].ip6addr));
    return status;
}

int parse_mx(const unsigned char *buffer, int length, QueryResult &result) {
    ares_mx_reply *list = nullptr;
    const int status = ares_parse_mx_reply(buffer, length, &list);
    for (auto *mx = list; mx; mx = mx->next)
        result.records.push_back(std::to_string(mx->priority) + " " + without_root(mx->host));
    ares_free_data(list);
    return status;
}

int parse_srv(const unsigned char *buffer, int length, QueryResult &result) {
    ares_srv_reply *list = nullptr;
    const int status = ares_parse_srv_reply(buffer, length, &list);
    for (auto *srv = list; srv; srv = srv->next)
        result.records.push_back(std::to_string(srv->priority) + " " + std::to_string(srv->weight) +
                                 " " + std::to_string(srv->port) + " " + without_root(srv->host));
    ares_free_data(list);
    return status;
}

/// A TXT record is one or more strings: they are joined, as SPF and DKIM readers do.
int parse_txt(const unsigned char *buffer, int length, QueryResult &result) {
    ares_txt_ext *list = nullptr;
    const int status = ares_parse_txt_reply_ext(buffer, length, &list);
    for (auto *txt = list; txt; txt = txt->next) {
        const std::string chunk{reinterpret_cast<const char *>(txt->txt), txt->length};
        if (txt->record_start || result.records.empty())
            result.records.push_back(chunk);
        else
            result.records.back() += chunk;
    }
    ares_free_data(list);
    return status;
}

int parse_soa(const unsigned char *buffer, int length, QueryResult &result) {
    ares_soa_reply *soa = nullptr;
    const int status = ares_parse_soa_reply(buffer, length, &soa);
    if (status == ARES_SUCCESS) {
        result.soa_serial = soa->serial;
        result.records.push_back(without_root(soa->nsname) + " " + without_root(soa->hostmaster) +
                                 " " + std::to_string(soa->serial) + " " +
                                 std::to_string(soa->refresh) + " " + std::to_string(soa->retry) +
                                 " " + std::to_string(soa->expire) + " " +
                                 std::to_string(soa->minttl));
    }
    ares_free_data(soa);
    return status;
}

/// NS and PTR answers come back as a hostent: the first name, then the aliases.
int hostent_names(int status, hostent *host, QueryResult &result) {
    if (status != ARES_SUCCESS) return status;
    // c-ares 1.18 lists the first PTR name both as h_name and as an alias: each name once.
    const auto add = [&](const char *name) {
        std::string text = without_root(name);
        if (std::find(result.records.begin(), result.records.end(), text) == result.records.end())
            result.records.push_back(std::move(text));
    };
    if (host->h_name) add(host->h_name);
    for (char **alias = host->h_aliases; alias && *alias; ++alias)
        add(*alias);
    ares_free_hostent(host);
    return status;
}

int parse_ns(const unsigned char *buffer, int length, QueryResult &result) {
    hostent *host = nullptr;
    const int status = ares_parse_ns_reply(buffer, length, &host);
    // The names of the servers are the aliases; h_name is the zone asked about.
    if (status != ARES_SUCCESS) return status;
    for (char **alias = host->h_aliases; alias && *alias; ++alias)
        result.records.push_back(without_root(*alias));
    ares_free_hostent(host);
    return status;
}

int parse_ptr(const unsigned char *buffer, int length, QueryResult &result) {
    hostent *host = nullptr;
    // c-ares copies the address into the hostent only; any will do.
    const in_addr any{};
    const int status = ares_parse_ptr_reply(buffer, length, &any, sizeof any, AF_INET, &host);
    return hostent_names(status, host, result);
}

/// The CNAME records of the answer section, read with c-ares' name expansion.
int parse_cname(const unsigned char *buffer, int length, QueryResult &result) {
    if (length < HFIXEDSZ) return ARES_EBADRESP;
    const int questions = DNS_HEADER_QDCOUNT(buffer);
    const int answers = DNS_HEADER_ANCOUNT(buffer);
    const unsigned char *at = buffer + HFIXEDSZ;
    const unsigned char *end = buffer + length;
    const auto skip_name = [&]() {
        char *name = nullptr;
        long used = 0;
        if (ares_expand_name(at, buffer, length, &name, &used) != ARES_SUCCESS) return false;
        ares_free_string(name);
        at += used;
        return true;
    };
    for (int i = 0; i < questions; ++i) {
        if (!skip_name() || end - at < QFIXEDSZ) return ARES_EBADRESP;
        at += QFIXEDSZ;
    }
    for (int i = 0; i < answers; ++i) {
        if (!skip_name() || end - at < RRFIXEDSZ) return ARES_EBADRESP;
        const int type = DNS_RR_TYPE(at);
        const int data_length = DNS_RR_LEN(at);
        at += RRFIXEDSZ;
        if (end - at < data_length) return ARES_EBADRESP;
        if (type == ns_t_cname) {
            char *target = nullptr;
            long used = 0;
            if (ares_expand_name(at, buffer, length, &target, &used) != ARES_SUCCESS)
                return ARES_EBADRESP;
            result.records.push_back(without_root(target));
            ares_free_string(target);
        }
        at += data_length;
    }
    return result.records.empty() ? ARES_ENODATA : ARES_SUCCESS;
}

int parse(RecordType type, const unsigned char *buffer, int length, QueryResult &result) {
    switch (type) {
    case RecordType::a:
        return parse_a(buffer, length, result);
    case RecordType::aaaa:
        return parse_aaaa(buffer, length, result);
    case RecordType::cname:
        return parse_cname(buffer, length, result);
    case RecordType::mx:
        return parse_mx(buffer, length, result);
    case RecordType::txt:
        return parse_txt(buffer, length, result);
    case RecordType::srv:
        return parse_srv(buffer, length, result);
    case RecordType::ns:
        return parse_ns(buffer, length, result);
    case RecordType::soa:
        return parse_soa(buffer, length, result);
    case RecordType::ptr:
        return parse_ptr(buffer, length, result);
    }
    return ARES_ENOTIMP;
}

/// What the callback hands back to the loop that waits for it.
struct Pending {
    RecordType type;
    bool done = false;
    QueryResult result;
};

void outcome_of(int status, QueryResult &result) {
    switch (status) {
    case ARES_SUCCESS:
        result.outcome = Outcome::answered;
        return;
    case ARES_ENODATA:
        result.outcome = Outcome::no_data;
        return;
    case ARES_ENOTFOUND:
        result.outcome = Outcome::nxdomain;
        return;
    case ARES_ETIMEOUT:
        result.outcome = Outcome::timed_out;
        return;
    case ARES_ESERVFAIL:
        result.failure = "the server failed (SERVFAIL)";
        break;
    case ARES_EREFUSED:
        result.failure = "the server refused the query (REFUSED)";
        break;
    case ARES_ECONNREFUSED:
        result.failure = "connection refused";
        break;
    default:
        result.failure = after_colon(ares_strerror(status));
        break;
    }
    result.outcome = Outcome::failed;
}

void on_answer(void *context, int status, int /*timeouts*/, unsigned char *buffer, int length) {
    auto &pending = *static_cast<Pending *>(context);
    pending.done = true;
    if (status == ARES_SUCCESS) {
        status = parse(pending.type, buffer, length, pending.result);
        // A record of another type alone (a CNAME for an A question without its target's
        // addresses) is no data of the type asked for.
        if (status == ARES_SUCCESS && pending.result.records.empty()) status = ARES_ENODATA;
    }
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) status = ARES_ETIMEOUT;
    outcome_of(status, pending.result);
}

/// Drives c-ares' sockets with poll() until the answer arrives or the deadline passes.
void wait_for(ares_channel channel, const Pending &pending, Clock::time_point deadline) {
    while (!pending.done) {
        const auto left = deadline - Clock::now();
        if (left <= std::chrono::nanoseconds::zero()) return;
        std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> sockets{};
        const int mask = ares_getsock(channel, sockets.data(), ARES_GETSOCK_MAXNUM);
        std::array<pollfd, ARES_GETSOCK_MAXNUM> polled{};
        nfds_t count = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
            const short events = static_cast<short>((ARES_GETSOCK_READABLE(mask, i) ? POLLIN : 0) |
                                                    (ARES_GETSOCK_WRITABLE(mask, i) ? POLLOUT : 0));
            if (events) polled[count++] = pollfd{sockets[i], events, 0};
        }
        timeval most = vitals::plugins::timeval_until(deadline);
        timeval wait{};
        const timeval *next = ares_timeout(channel, &most, &wait);
        const auto wait_ms = std::chrono::milliseconds{next->tv_sec * 1000 + next->tv_usec / 1000};
        const int ready = ::poll(
            polled.data(), count,
            vitals::plugins::poll_timeout_ms(std::min<std::chrono::nanoseconds>(wait_ms, left)));
        if (ready <= 0) {
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); // timeouts, retries
            continue;
        }
        for (nfds_t i = 0; i < count; ++i) {
            const auto events = polled[i].revents;
            if (!events) continue;
            ares_process_fd(channel,
                            events & (POLLIN | POLLERR | POLLHUP) ? polled[i].fd : ARES_SOCKET_BAD,
                            events & POLLOUT ? polled[i].fd : ARES_SOCKET_BAD);
        }
    }
}

/// A channel that asks `server` alone, with tries that fit before the deadline: two over
/// UDP (c-ares doubles the timeout for the second, so a third of the time, then two thirds).
Channel open_channel(const Server &server, Clock::time_point deadline, std::string &failure) {
    ares_options options{};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    options.timeout = static_cast<int>(std::max<std::int64_t>(left.count() / 3, 1));
    options.tries = 2;
    // NOCHECKRESP: a SERVFAIL or REFUSED is the one server's answer, reported as it is; c-ares
    // would otherwise skip the server and report "connection refused".
    options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP |
                    (server.tcp_only ? ARES_FLAG_USEVC : 0);
    options.lookups = const_cast<char *>("b"); // DNS only, never /etc/hosts
    ares_channel channel = nullptr;
    const int optmask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_LOOKUPS;
    if (const int status = ares_init_options(&channel, &options, optmask); status != ARES_SUCCESS) {
        failure = "cannot start c-ares: " + after_colon(ares_strerror(status));
        return nullptr;
    }
    Channel owned{channel};
    ares_addr_port_node node{};
    node.family = server.family;
    ::inet_pton(server.family, server.address.c_str(), &node.addr);
    node.udp_port = server.port;
    node.tcp_port = server.port;
    if (const int status = ares_set_servers_ports(channel, &node); status != ARES_SUCCESS) {
        failure = "cannot use the server: " + after_colon(ares_strerror(status));
        return nullptr;
    }
    return owned;
}

} // namespace

std::optional<RecordType> parse_record_type(const std::string &text) {
    for (const auto &entry : type_names)
        if (vitals::plugins::equal_ignoring_case(text, entry.name)) return entry.type;
    return std::nullopt;
}

const char *record_type_name(RecordType type) {
    return entry_of(type).name;
}

std::string query_name(const std::string &name, RecordType type) {
    if (type != RecordType::ptr) return name;
    std::array<unsigned char, 16> bytes{};
    if (::inet_pton(AF_INET, name.c_str(), bytes.data()) == 1) {
        std::string reverse;
        for (int i = 3; i >= 0; --i)
            reverse += std::to_string(bytes[i]) + ".";
        return reverse + "in-addr.arpa";
    }
    if (::inet_pton(AF_INET6, name.c_str(), bytes.data()) == 1) {
        constexpr char hex[] = "0123456789abcdef";
        std::string reverse;
        for (int i = 15; i >= 0; --i) {
            reverse += hex[bytes[i] & 0xf];
            reverse += '.';
            reverse += hex[bytes[i] >> 4];
            reverse += '.';
        }
        return reverse + "ip6.arpa";
    }
    return name;
}

QueryResult query(const Server &server, const std::string &name, RecordType type,
                  Clock::time_point deadline) {
    const auto start = Clock::now();
    Pending pending{.type = type, .done = false, .result = {}};
    if (!library_ready()) {
        pending.result.failure = "cannot initialise c-ares";
        return pending.result;
    }
    const Channel channel = open_channel(server, deadline, pending.result.failure);
    if (!channel) return pending.result;
    ares_query(channel.get(), query_name(name, type).c_str(), ns_c_in, entry_of(type).code,
               on_answer, &pending);
    wait_for(channel.get(), pending, deadline);
    if (!pending.done) {
        ares_cancel(channel.get()); // calls on_answer with ARES_ECANCELLED: a timeout
        pending.result.outcome = Outcome::timed_out;
    }
    pending.result.elapsed = Clock::now() - start;
    return pending.result;
}

} // namespace vitals::dns
