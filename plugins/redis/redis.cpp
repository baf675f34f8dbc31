// Vitals "redis" checker: PING a Redis server, optionally check its role. SPDX-License-Identifier:
// MIT
#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;
using namespace std::chrono_literals;

// key, type, required, default, description, secret
constexpr vitals_param_spec redis_params[] = {
    {"host", VITALS_PARAM_STRING, 0, "127.0.0.1",
     "Host name or address, or the absolute path of a Unix socket", 0},
    {"port", VITALS_PARAM_INT, 0, "6379", "TCP port (1-65535; unused for a Unix socket)", 0},
    {"username", VITALS_PARAM_STRING, 0, nullptr,
     "ACL user to AUTH as (Redis 6 and later); needs password", 0},
    {"password", VITALS_PARAM_STRING, 0, nullptr, "Password to AUTH with", 1},
    {"role", VITALS_PARAM_STRING, 0, nullptr,
     "Required replication role, master or replica; a replica's link to its master must be up", 0},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when connecting and PING take longer than this together", 0},
    {}, // the NULL key that ends the table
};

/// Removes every occurrence of the password from text that came from the server or hiredis.
/// Redis does not echo AUTH arguments today, but a proxy in front of it might.
std::string scrub(std::string text, const std::string &password) {
    return mask_secret(std::move(text), password);
}

// ---------------------------------------------------------------- hiredis handles

struct ContextDeleter {
    void operator()(redisContext *context) const noexcept { redisFree(context); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
    void operator()(redisReply *reply) const noexcept { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

/// "field:value" lines of an INFO section.
std::map<std::string, std::string> parse_info(const std::string &text) {
    std::map<std::string, std::string> fields;
    std::size_t begin = 0;
    while (begin < text.size()) {
        auto end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(begin, end - begin);
        begin = end + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto colon = line.find(':');
        if (line.empty() || line.front() == '#' || colon == std::string::npos) continue;
        fields[line.substr(0, colon)] = line.substr(colon + 1);
    }
    return fields;
}

std::string field(const std::map<std::string, std::string> &fields, const std::string &key) {
    const auto found = fields.find(key);
    return found == fields.end() ? std::string{} : found->second;
}

/// How one step went: empty when it worked, else why not (already scrubbed).
using Failure = std::optional<std::string>;

// ---------------------------------------------------------------- the check

class RedisCheck {
public:
    explicit RedisCheck(const vitals::Params &params)
        : host_(params.string("host")), port_(params.integer("port")) {
        if (host_.empty()) params.reject("host", "must not be empty");
        unix_socket_ = host_.front() == '/';
        if (!unix_socket_ && (port_ < 1 || port_ > 65535))
            params.reject("port", "must be from 1 to 65535, got " + std::to_string(port_));
        if (params.has("password")) password_ = params.string("password");
        if (params.has("username")) {
            username_ = params.string("username");
            if (username_->empty()) params.reject("username", "must not be empty");
            if (!params.has("password"))
                params.reject("username", "needs password: AUTH takes both");
        }
        if (params.has("role")) {
            role_ = params.string("role");
            if (*role_ != "master" && *role_ != "replica")
                params.reject("role", "must be master or replica, got \"" + *role_ + "\"");
        }
        warning_ = time_limit(params, "warning", "every run would warn");
        target_ = unix_socket_ ? host_ : endpoint_text(host_, port_);
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to connect to " + target_);
            return;
        }
        const auto start = Clock::now();
        const timeval connect_timeout = timeval_until(*deadline);
        const Context context{
            unix_socket_
                ? redisConnectUnixWithTimeout(host_.c_str(), connect_timeout)
                : redisConnectWithTimeout(host_.c_str(), static_cast<int>(port_), connect_timeout)};
        if (!context) {
            run.error("cannot connect to " + target_ + ": out of memory");
            return;
        }
        if (context->err != 0) {
            run.error("cannot connect to " + target_ + ": " + io_failure(*context, start));
            return;
        }
        const nanoseconds connect_time = Clock::now() - start;
        run.metric("connect_time", to_seconds(connect_time), "seconds");

        if (!password_.empty() || username_) {
            std::vector<std::string> auth{"AUTH"};
            if (username_) auth.push_back(*username_);
            auth.push_back(password_);
            Reply reply;
            if (const Failure failure = command(*context, auth, *deadline, start, reply)) {
                run.error(target_ + ": AUTH failed: " + *failure);
                return;
            }
        }

        const auto ping_start = Clock::now();
        Reply pong;
        if (const Failure failure = command(*context, {"PING"}, *deadline, ping_start, pong)) {
            run.error(target_ + ": PING failed: " + *failure);
            return;
        }
        const nanoseconds ping_time = Clock::now() - ping_start;
        run.metric("ping_time", to_seconds(ping_time), "seconds");
        const std::string answer = text_of(*pong);
        if (answer != "PONG") {
            run.error(target_ + ": PING answered \"" + scrub(answer, password_) +
                      "\" instead of PONG");
            return;
        }

        std::string role_text;
        if (role_) {
            Reply info;
            if (const Failure failure =
                    command(*context, {"INFO", "replication"}, *deadline, start, info)) {
                run.error(target_ + ": INFO replication failed: " + *failure);
                return;
            }
            if (const Failure failure = check_role(run, parse_info(text_of(*info)), role_text)) {
                run.error(target_ + ": " + *failure);
                return;
            }
        }

        const std::string message = target_ + ": " + role_text + "PONG in " +
                                    format_duration(ping_time) + ", connected in " +
                                    format_duration(connect_time);
        if (warning_ && connect_time + ping_time > *warning_)
            run.warning(message + "; slower than " + format_duration(*warning_));
        else
            run.ok(message);
    }

private:
    static std::string text_of(const redisReply &reply) {
        if (reply.type == REDIS_REPLY_STATUS || reply.type == REDIS_REPLY_STRING ||
            reply.type == REDIS_REPLY_ERROR)
            return {reply.str, reply.len};
        return {};
    }

    /// Why the context broke, for a message: a read or write that hit its timeout reads
    /// as "resource temporarily unavailable" in hiredis, which says nothing to an operator.
    std::string io_failure(const redisContext &context, Clock::time_point start) const {
        const bool timed_out = context.err == REDIS_ERR_IO &&
                               (errno == EAGAIN || errno == EWOULDBLOCK || errno == ETIMEDOUT);
        if (timed_out) return "timed out after " + format_duration(Clock::now() - start);
        if (context.err == REDIS_ERR_EOF) return "the server closed the connection";
        return scrub(after_colon(context.errstr), password_);
    }

    /// Runs one command with what is left of the deadline as its socket timeout. Arguments go
    /// through redisCommandArgv, so a password with '%' or spaces in it is sent as it is.
    Failure command(redisContext &context, const std::vector<std::string> &args,
                    Clock::time_point deadline, Clock::time_point start, Reply &reply) const {
        if (Clock::now() >= deadline)
            return "timed out after " + format_duration(Clock::now() - start);
        if (redisSetTimeout(&context, timeval_until(deadline)) != REDIS_OK)
            return io_failure(context, start);
        std::vector<const char *> argv;
        std::vector<std::size_t> lengths;
        for (const auto &arg : args) {
            argv.push_back(arg.data());
            lengths.push_back(arg.size());
        }
        errno = 0;
        reply.reset(static_cast<redisReply *>(redisCommandArgv(
            &context, static_cast<int>(args.size()), argv.data(), lengths.data())));
        if (!reply) return io_failure(context, start);
        if (reply->type == REDIS_REPLY_ERROR) return scrub(text_of(*reply), password_);
        return std::nullopt;
    }

    /// Compares INFO replication with the role asked for; on success, `description` says
    /// what the server is ("master with 2 connected replicas, ").
    Failure check_role(vitals::Run &run, const std::map<std::string, std::string> &info,
                       std::string &description) const {
        const std::string role = field(info, "role");
        if (role == "master") {
            const std::string replicas = field(info, "connected_slaves");
            double count = 0;
            const auto [end, error] =
                std::from_chars(replicas.data(), replicas.data() + replicas.size(), count);
            if (error == std::errc{} && end == replicas.data() + replicas.size())
                run.metric("connected_replicas", count, "count");
            if (*role_ != "master") return std::string{"is a master, expected a replica"};
            description = "master with " + (replicas.empty() ? "?" : replicas) +
                          (replicas == "1" ? " connected replica, " : " connected replicas, ");
            return std::nullopt;
        }
        if (role != "slave") return "INFO replication gives no known role (\"" + role + "\")";
        const std::string master = field(info, "master_host") + ":" + field(info, "master_port");
        if (*role_ != "replica") return "is a replica of " + master + ", expected a master";
        const std::string link = field(info, "master_link_status");
        if (link != "up") {
            const std::string since = field(info, "master_link_down_since_seconds");
            return "replica of " + master + ", but its link to the master is " +
                   (link.empty() ? "unknown" : link) +
                   (since.empty() || since == "-1" ? "" : " (for " + since + " s)");
        }
        description = "replica of " + master + ", link up, ";
        return std::nullopt;
    }

    std::string host_;
    std::int64_t port_;
    bool unix_socket_ = false;
    std::optional<std::string> username_;
    std::string password_;
    std::optional<std::string> role_;
    std::optional<nanoseconds> warning_;
    std::string target_; // "host:port" or the socket path, as every message names it
};

} // namespace

VITALS_CPP_PLUGIN(RedisCheck, "redis", "0.1.0",
                  "Whether Redis answers PING (after AUTH), and in which replication role",
                  redis_params)
