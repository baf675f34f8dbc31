// Vitals "postgres" checker: connect to PostgreSQL and run a query. SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/fd.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;
using namespace std::chrono_literals;

constexpr std::array<const char *, 7> sslmodes{"disable",   "allow",       "prefer", "require",
                                               "verify-ca", "verify-full", nullptr};

// key, type, required, default, description, secret (and, declared by name, limits)
// host/port/dbname/user/sslmode have no table default on purpose: a default would make them
// look set (param_has), and then no check could tell them apart from a conflicting dsn.
constexpr vitals_param_spec postgres_params[] = {
    {"dsn", VITALS_PARAM_STRING, 0, nullptr,
     "libpq connection string or postgresql:// URI; replaces host, port, dbname, user, password "
     "and sslmode",
     1},
    {"host", VITALS_PARAM_STRING, 0, nullptr,
     "Server host name, address or Unix socket directory (127.0.0.1 when no dsn is set)", 0},
    {.key = "port",
     .type = VITALS_PARAM_INT,
     .description = "Server port (5432)",
     .min = 1,
     .max = 65535,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {"dbname", VITALS_PARAM_STRING, 0, nullptr, "Database to connect to (postgres)", 0},
    {"user", VITALS_PARAM_STRING, 0, nullptr, "Role to connect as (postgres)", 0},
    {"password", VITALS_PARAM_STRING, 0, nullptr, "Password of that role", 1},
    {.key = "sslmode",
     .type = VITALS_PARAM_STRING,
     .description = "libpq sslmode (prefer when not set)",
     .choices = sslmodes.data()},
    {"query", VITALS_PARAM_STRING, 0, "SELECT 1", "SQL to run once connected", 0},
    {"expect", VITALS_PARAM_STRING, 0, nullptr,
     "Fail unless the first column of the query's first row is exactly this text", 0},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when connecting and running the query take longer than this together", 0},
    {}, // the NULL key that ends the table
};

// ---------------------------------------------------------------- text

/// A query result quoted for a message, cut short so one odd value cannot flood the log.
std::string quoted(const std::string &value) {
    constexpr std::size_t limit = 80;
    if (value.size() <= limit) return "\"" + value + "\"";
    return "\"" + value.substr(0, limit) + "...\"";
}

/// Removes anything that may be a credential from text that came from libpq or the server:
/// the password itself wherever it appears, `password=...` keywords and the password part of
/// a URI. libpq echoes parts of the connection string in some of its messages.
std::string scrub(std::string text, const std::string &password) {
    text = mask_secret(std::move(text), password);
    static const std::regex keyword{R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+))",
                                    std::regex::icase};
    static const std::regex uri{R"((://[^:/@\s]*:)[^@\s]*@)"};
    text = std::regex_replace(text, keyword, "$1***");
    return std::regex_replace(text, uri, "$1***@");
}

/// Multi-line library text on one line, for the log.
std::string one_line(const char *raw) {
    std::string text = raw ? raw : "";
    std::replace(text.begin(), text.end(), '\n', ' ');
    std::replace(text.begin(), text.end(), '\t', ' ');
    return std::string{trim(text)};
}

/// One line out of libpq's multi-line error text. libpq writes one line per failed attempt,
/// "connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication
/// failed ...", each perhaps followed by an indented hint. The message already names the
/// target, so the prefix, the severity and the hints go; repeated lines (::1 and 127.0.0.1
/// both refusing) are kept once.
std::string describe_libpq(const char *raw, const std::string &password) {
    static const std::regex attempt{
        R"(^connection to server (at "[^"]*"( \([^)]*\))?, port \d+|on socket "[^"]*") failed: )"};
    static const std::regex severity{R"(^(FATAL|ERROR|PANIC):\s+)"};
    std::vector<std::string> lines;
    std::string text = raw ? raw : "";
    std::size_t begin = 0;
    while (begin < text.size()) {
        auto end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(begin, end - begin);
        begin = end + 1;
        if (line.empty() || line.front() == '\t' || line.front() == ' ') continue; // a hint
        line = std::regex_replace(line, attempt, "");
        line = after_colon(std::string{trim(std::regex_replace(line, severity, ""))});
        if (!line.empty() && std::find(lines.begin(), lines.end(), line) == lines.end())
            lines.push_back(line);
    }
    std::string joined;
    for (const auto &line : lines)
        joined += (joined.empty() ? "" : "; ") + line;
    return scrub(joined.empty() ? "unknown libpq error" : joined, password);
}

// ---------------------------------------------------------------- libpq handles

struct ConnDeleter {
    void operator()(PGconn *conn) const noexcept { PQfinish(conn); }
};
using Connection = std::unique_ptr<PGconn, ConnDeleter>;

struct ResultDeleter {
    void operator()(PGresult *result) const noexcept { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

struct OptionsDeleter {
    void operator()(PQconninfoOption *options) const noexcept { PQconninfoFree(options); }
};
using ConninfoOptions = std::unique_ptr<PQconninfoOption, OptionsDeleter>;

/// How one step went: empty when it worked, else why not (already scrubbed).
using Failure = std::optional<std::string>;

// ---------------------------------------------------------------- the check

class PostgresCheck {
public:
    explicit PostgresCheck(const vitals::Params &params)
        : query_(params.string("query")), expect_(optional_string(params, "expect")) {
        if (params.has("dsn"))
            configure_dsn(params);
        else
            configure_fields(params);
        if (trim(query_).empty()) params.reject("query", "must not be empty");
        warning_ = time_limit(params, "warning", "every run would warn");
    }

    PostgresCheck(const PostgresCheck &) = delete;
    PostgresCheck &operator=(const PostgresCheck &) = delete;

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to connect to " + target_);
            return;
        }
        const auto start = Clock::now();
        std::vector<const char *> keywords = keywords_;
        std::vector<const char *> values;
        for (const auto &value : values_)
            values.push_back(value.c_str());
        keywords.push_back(nullptr);
        values.push_back(nullptr);
        Connection conn{PQconnectStartParams(keywords.data(), values.data(), expand_dbname_)};
        if (!conn) {
            run.error("cannot connect to " + target_ + ": out of memory");
            return;
        }
        if (const Failure failure = connect(conn.get(), start, *deadline)) {
            run.error("cannot connect to " + target_ + ": " + *failure);
            // The message keeps one line per attempt; libpq's hints can help an operator.
            const std::string detail = one_line(PQerrorMessage(conn.get()));
            if (!detail.empty()) run.log(VITALS_LOG_DEBUG, "libpq: " + scrub(detail, password_));
            return;
        }
        const nanoseconds connect_time = Clock::now() - start;
        run.metric("connect_time", to_seconds(connect_time), "seconds");

        const auto query_start = Clock::now();
        std::optional<std::string> first_cell;
        bool has_rows = false;
        if (const Failure failure =
                execute(conn.get(), query_start, *deadline, first_cell, has_rows)) {
            run.error(target_ + ": query failed: " + *failure);
            return;
        }
        const nanoseconds query_time = Clock::now() - query_start;
        run.metric("query_time", to_seconds(query_time), "seconds");
        report(run, connect_time, query_time, has_rows, first_cell);
    }

private:
    static std::optional<std::string> optional_string(const vitals::Params &params,
                                                      const char *key) {
        if (!params.has(key)) return std::nullopt;
        return params.string(key);
    }

    void configure_dsn(const vitals::Params &params) {
        const std::string dsn = params.string("dsn");
        for (const char *key : {"host", "port", "dbname", "user", "password", "sslmode"})
            if (params.has(key))
                params.reject(key, "cannot be combined with dsn: set it inside the dsn instead");
        if (trim(dsn).empty()) params.reject("dsn", "must not be empty");
        char *raw_error = nullptr;
        const ConninfoOptions options{PQconninfoParse(dsn.c_str(), &raw_error)};
        if (!options) {
            // libpq's reason quotes the offending part of the string, which may be the
            // password: say what is expected instead.
            PQfreemem(raw_error);
            params.reject("dsn", "is not a valid libpq connection string (key=value pairs) "
                                 "or postgresql:// URI");
        }
        std::string host, hostaddr, port, dbname;
        for (const PQconninfoOption *option = options.get(); option->keyword; ++option) {
            if (!option->val) continue;
            const std::string keyword = option->keyword;
            if (keyword == "host") host = option->val;
            if (keyword == "hostaddr") hostaddr = option->val;
            if (keyword == "port") port = option->val;
            if (keyword == "dbname") dbname = option->val;
            if (keyword == "password") password_ = option->val;
        }
        // An unencoded '@' in a URI's password ends the user part early and makes the rest of
        // the password part of the host name, which libpq would then print in every error.
        if (host.find('@') != std::string::npos || hostaddr.find('@') != std::string::npos)
            params.reject("dsn", "has an '@' in its host part: in a postgresql:// URI, write "
                                 "an '@' inside the password as %40");
        target_ = describe_target(host.empty() ? hostaddr : host, port, dbname);
        // Before dbname, so that the same keyword inside the dsn wins.
        add("fallback_application_name", "vitals");
        add("dbname", dsn);
        expand_dbname_ = 1;
    }

    void configure_fields(const vitals::Params &params) {
        const std::string host = params.has("host") ? params.string("host") : "127.0.0.1";
        const std::int64_t port = params.has("port") ? params.integer("port") : 5432;
        const std::string dbname = params.has("dbname") ? params.string("dbname") : "postgres";
        const std::string user = params.has("user") ? params.string("user") : "postgres";
        if (trim(host).empty()) params.reject("host", "must not be empty");
        if (dbname.empty()) params.reject("dbname", "must not be empty");
        if (user.empty()) params.reject("user", "must not be empty");
        if (params.has("sslmode")) add("sslmode", params.string("sslmode")); // one of sslmodes
        if (params.has("password")) password_ = params.string("password");
        add("host", host);
        add("port", std::to_string(port));
        add("dbname", dbname);
        add("user", user);
        if (params.has("password")) add("password", password_);
        add("fallback_application_name", "vitals");
        target_ = describe_target(host, std::to_string(port), dbname);
        expand_dbname_ = 0;
    }

    /// "127.0.0.1:5432/postgres", "[::1]:5432/app", "/run/postgresql:5432/app": where the
    /// check connects, without the user or any credential.
    static std::string describe_target(const std::string &host, const std::string &port,
                                       const std::string &dbname) {
        std::string text = host.empty() ? "local socket" : host;
        if (text.find(':') != std::string::npos && text.find(',') == std::string::npos)
            text = "[" + text + "]"; // an IPv6 literal, so the port stays readable
        text += ":" + (port.empty() ? std::string{"5432"} : port);
        if (!dbname.empty()) text += "/" + dbname;
        return text;
    }

    void add(const char *keyword, std::string value) {
        keywords_.push_back(keyword);
        values_.push_back(std::move(value));
    }

    /// Drives PQconnectPoll with poll() on libpq's socket, so that the deadline bounds every
    /// wait (name resolution inside libpq excepted: getaddrinfo cannot be given one).
    Failure connect(PGconn *conn, Clock::time_point start, Clock::time_point deadline) const {
        if (PQstatus(conn) == CONNECTION_BAD)
            return describe_libpq(PQerrorMessage(conn), password_);
        // As the libpq manual says: before the first PQconnectPoll, behave as if it said WRITING.
        PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
        while (polling != PGRES_POLLING_OK) {
            if (polling == PGRES_POLLING_FAILED)
                return describe_libpq(PQerrorMessage(conn), password_);
            // The socket may change between calls (libpq tries each host in turn).
            const int fd = PQsocket(conn);
            if (fd < 0) return describe_libpq(PQerrorMessage(conn), password_);
            const short events = polling == PGRES_POLLING_READING ? POLLIN : POLLOUT;
            const int error = wait_for(fd, events, deadline);
            if (error == ETIMEDOUT)
                return "timed out after " + format_duration(Clock::now() - start);
            if (error != 0) return "poll: " + describe_errno(error);
            polling = PQconnectPoll(conn);
        }
        return std::nullopt;
    }

    /// Sends the query and reads every result without blocking past the deadline. Keeps the
    /// first cell of the last result that has rows; fails on the first error result.
    Failure execute(PGconn *conn, Clock::time_point start, Clock::time_point deadline,
                    std::optional<std::string> &first_cell, bool &has_rows) const {
        const auto timed_out = [&] {
            return "timed out after " + format_duration(Clock::now() - start);
        };
        const auto libpq_failure = [&] { return describe_libpq(PQerrorMessage(conn), password_); };
        if (PQsetnonblocking(conn, 1) != 0 || PQsendQuery(conn, query_.c_str()) == 0)
            return libpq_failure();
        for (int pending = PQflush(conn); pending != 0; pending = PQflush(conn)) {
            if (pending < 0) return libpq_failure();
            // The server may answer before it has read everything: read while writing.
            const int error = wait_for(PQsocket(conn), POLLIN | POLLOUT, deadline);
            if (error == ETIMEDOUT) return timed_out();
            if (error != 0) return "poll: " + describe_errno(error);
            if (PQconsumeInput(conn) == 0) return libpq_failure();
        }
        Failure failure;
        for (;;) {
            while (PQisBusy(conn) != 0) {
                const int error = wait_for(PQsocket(conn), POLLIN, deadline);
                if (error == ETIMEDOUT) return timed_out();
                if (error != 0) return "poll: " + describe_errno(error);
                if (PQconsumeInput(conn) == 0) return libpq_failure();
            }
            const Result result{PQgetResult(conn)};
            if (!result) break;
            switch (PQresultStatus(result.get())) {
            case PGRES_TUPLES_OK:
            case PGRES_SINGLE_TUPLE:
                has_rows = PQntuples(result.get()) > 0;
                first_cell.reset();
                if (has_rows && PQnfields(result.get()) > 0 && !PQgetisnull(result.get(), 0, 0))
                    first_cell = PQgetvalue(result.get(), 0, 0);
                break;
            case PGRES_COMMAND_OK:
            case PGRES_EMPTY_QUERY:
                break;
            case PGRES_COPY_IN:
            case PGRES_COPY_OUT:
            case PGRES_COPY_BOTH:
                // libpq would wait for COPY data forever; closing the connection ends it.
                return std::string{"the query starts a COPY, which the check cannot run"};
            default: {
                if (failure) break; // keep the first error; drain the rest
                const char *primary = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY);
                failure = primary ? scrub(primary, password_)
                                  : describe_libpq(PQresultErrorMessage(result.get()), password_);
                break;
            }
            }
        }
        return failure;
    }

    void report(vitals::Run &run, nanoseconds connect_time, nanoseconds query_time, bool has_rows,
                const std::optional<std::string> &first_cell) const {
        const std::string timing = "connected in " + format_duration(connect_time) +
                                   ", query took " + format_duration(query_time);
        if (expect_) {
            std::string got;
            if (!has_rows)
                got = "no rows";
            else if (!first_cell)
                got = "NULL";
            else if (*first_cell != *expect_)
                got = quoted(scrub(*first_cell, password_));
            if (!got.empty()) {
                run.error(target_ + ": query returned " + got + ", expected " + quoted(*expect_) +
                          " (" + timing + ")");
                return;
            }
        }
        const std::string message =
            target_ + ": " + timing + (expect_ ? ", returned " + quoted(*expect_) : "");
        const nanoseconds total = connect_time + query_time;
        if (warning_ && total > *warning_)
            run.warning(message + "; slower than " + format_duration(*warning_));
        else
            run.ok(message);
    }

    std::string query_;
    std::optional<std::string> expect_;
    std::optional<nanoseconds> warning_;
    std::string password_;               // only to scrub it out of library messages
    std::string target_;                 // "host:port/dbname", as every message names it
    std::vector<const char *> keywords_; // libpq's connection keywords, static strings
    std::vector<std::string> values_;    // and their values
    int expand_dbname_ = 0;
};

} // namespace

VITALS_CPP_PLUGIN(PostgresCheck, "postgres", "0.1.0",
                  "Whether PostgreSQL accepts a connection and answers a query, and how fast",
                  postgres_params)
