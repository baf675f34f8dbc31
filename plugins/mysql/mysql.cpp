// Vitals "mysql" checker: connect to MariaDB or MySQL, run a query and judge its first value,
// and optionally judge a replica's lag. SPDX-License-Identifier: MIT
//
// Through MariaDB Connector/C (libmariadb), Debian's client for both servers: it owns the
// handshake, authentication plugins, TLS and the protocol.
#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>
#include <vitals_plugins/verdict.hpp>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;

// key, type, required, default, description, secret
constexpr vitals_param_spec mysql_params[] = {
    {"host", VITALS_PARAM_STRING, 0, "127.0.0.1",
     "Host name or address, or the absolute path of the server's Unix socket", 0},
    {"port", VITALS_PARAM_INT, 0, "3306", "TCP port (1-65535; unused for a Unix socket)", 0},
    {"user", VITALS_PARAM_STRING, 1, nullptr, "User to connect as", 0},
    {"password", VITALS_PARAM_STRING, 0, nullptr, "That user's password", 1},
    {"database", VITALS_PARAM_STRING, 0, nullptr, "Default database for the query", 0},
    {"tls", VITALS_PARAM_STRING, 0, "off",
     "off, on (encrypted, certificate not checked) or verify (certificate and host checked)", 0},
    {"tls_ca", VITALS_PARAM_STRING, 0, nullptr,
     "CA certificates (PEM) to verify the server by (tls = verify; else the system's)", 0},
    {"tls_cert", VITALS_PARAM_STRING, 0, nullptr, "Client certificate (PEM); needs tls_key", 0},
    {"tls_key", VITALS_PARAM_STRING, 0, nullptr, "Client certificate's key (PEM)", 0},
    {"query", VITALS_PARAM_STRING, 0, "SELECT 1", "SQL to run once connected", 0},
    {"expect", VITALS_PARAM_STRING, 0, nullptr,
     "Fail unless the first column of the query's first row is exactly this text", 0},
    {"warning_above", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn when the query's first value is above this number", 0},
    {"error_above", VITALS_PARAM_FLOAT, 0, nullptr,
     "Fail when the query's first value is above this number", 0},
    {"warning_below", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn when the query's first value is below this number", 0},
    {"error_below", VITALS_PARAM_FLOAT, 0, nullptr,
     "Fail when the query's first value is below this number", 0},
    {"replica_lag_warning", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when the server, a replica, is further behind its source than this", 0},
    {"replica_lag_error", VITALS_PARAM_DURATION, 0, nullptr,
     "Fail when the server, a replica, is further behind its source than this", 0},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when connecting and running the query take longer than this together", 0},
    {"error", VITALS_PARAM_DURATION, 0, nullptr,
     "Fail when connecting and running the query take longer than this together", 0},
    {}, // the NULL key that ends the table
};

struct MysqlDeleter {
    void operator()(MYSQL *mysql) const noexcept { mysql_close(mysql); }
};
using Connection = std::unique_ptr<MYSQL, MysqlDeleter>;

struct ResultDeleter {
    void operator()(MYSQL_RES *result) const noexcept { mysql_free_result(result); }
};
using Result = std::unique_ptr<MYSQL_RES, ResultDeleter>;

enum class Tls { off, on, verify };

/// The library, initialised while any check uses it. mysql_init() would initialise it on
/// first use, which is not thread-safe, and nothing would free what that allocates: once the
/// agent unloads this plugin (and libmariadb with it) the allocations leak. So the first check
/// initialises it and the last one gone ends it (mysql_library_end() makes a later
/// mysql_library_init() start afresh). Checks are created and destroyed on several threads.
class LibraryUse {
public:
    LibraryUse() {
        const std::lock_guard lock{mutex()};
        if (users() == 0 && mysql_library_init(0, nullptr, nullptr) != 0)
            throw std::runtime_error("cannot initialise libmariadb");
        ++users();
    }
    ~LibraryUse() {
        const std::lock_guard lock{mutex()};
        if (--users() == 0) mysql_library_end();
    }
    LibraryUse(const LibraryUse &) = delete;
    LibraryUse &operator=(const LibraryUse &) = delete;

private:
    static std::mutex &mutex() {
        static std::mutex lock;
        return lock;
    }
    static int &users() {
        static int count = 0; // guarded by mutex()
        return count;
    }
};

std::optional<double> parse_number(const std::string &text) {
    double value = 0;
    const std::string_view trimmed = trim(text);
    const auto [end, error] =
        std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value);
    if (error != std::errc{} || end != trimmed.data() + trimmed.size()) return std::nullopt;
    return value;
}

/// The row of SHOW REPLICA STATUS that says how far behind the replica is.
struct ReplicaState {
    bool replica = false;      // the statement returned a row
    std::optional<double> lag; // Seconds_Behind_Source/_Master; NULL when not replicating
    std::string io_running, sql_running, last_error;
};

// ---------------------------------------------------------------- the check

class MysqlCheck {
public:
    explicit MysqlCheck(const vitals::Params &params)
        : host_(params.string("host")), port_(params.integer("port")), user_(params.string("user")),
          query_(params.string("query")) {
        if (host_.empty()) params.reject("host", "must not be empty");
        unix_socket_ = host_.front() == '/';
        if (!unix_socket_ && (port_ < 1 || port_ > 65535))
            params.reject("port", "must be from 1 to 65535, got " + std::to_string(port_));
        if (params.has("password")) password_ = params.string("password");
        if (params.has("database")) database_ = params.string("database");
        read_tls(params);
        if (trim(query_).empty()) params.reject("query", "must not be empty");
        if (params.has("expect")) expect_ = params.string("expect");
        read_value_limits(params);
        lag_warning_ = time_limit(params, "replica_lag_warning", "every run would warn");
        lag_error_ = time_limit(params, "replica_lag_error", "every run would fail");
        require_not_above(params, "replica_lag_warning", lag_warning_, "replica_lag_error",
                          lag_error_, format_duration);
        time_ = time_limits(params, "connection and query");
        target_ = unix_socket_ ? host_ : endpoint_text(host_, port_);
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to connect to " + target_);
            return;
        }
        const auto start = Clock::now();
        Connection mysql{mysql_init(nullptr)};
        if (!mysql) {
            run.error(target_ + ": cannot create a connection handle: out of memory");
            return;
        }
        configure(*mysql, *deadline);
        if (!mysql_real_connect(mysql.get(), unix_socket_ ? "localhost" : host_.c_str(),
                                user_.c_str(), password_.c_str(),
                                database_ ? database_->c_str() : nullptr,
                                unix_socket_ ? 0 : static_cast<unsigned>(port_),
                                unix_socket_ ? host_.c_str() : nullptr, CLIENT_MULTI_RESULTS)) {
            run.error("cannot connect to " + target_ + ": " + failure(*mysql, start));
            return;
        }
        const nanoseconds connect_time = Clock::now() - start;
        // libmariadb goes on in plain text with a server that offers no TLS, even when told
        // to enforce it: what was asked for is checked here.
        if (tls_ != Tls::off && !mysql_get_ssl_cipher(mysql.get())) {
            run.error("cannot connect to " + target_ + ": the server does not offer TLS");
            return;
        }
        run.metric("connect_time", to_seconds(connect_time), "seconds");

        const auto query_start = Clock::now();
        std::optional<std::string> first;
        if (const auto problem = first_value(*mysql, query_, start, first)) {
            run.error(target_ + ": query failed: " + *problem);
            return;
        }
        const nanoseconds query_time = Clock::now() - query_start;
        run.metric("query_time", to_seconds(query_time), "seconds");

        Verdict verdict;
        std::string shown = first ? *first : "NULL";
        if (shown.size() > 100) shown = shown.substr(0, 100) + "...";
        if (expect_ && first != expect_) {
            run.error(target_ + ": query returned \"" + mask_secret(shown, password_) +
                      "\", expected \"" + *expect_ + "\"");
            return;
        }
        if (has_value_limits()) judge_value(run, first, verdict);

        std::string lag_text;
        if (lag_warning_ || lag_error_) {
            ReplicaState replica;
            if (const auto problem = replica_state(*mysql, start, replica)) {
                run.error(target_ + ": cannot read the replica status: " + *problem);
                return;
            }
            if (!judge_lag(run, replica, verdict, lag_text)) {
                run.error(target_ + ": " + lag_text);
                return;
            }
        }

        const nanoseconds took = connect_time + query_time;
        verdict.judge_time(time_, took);
        const char *server = mysql_get_server_info(mysql.get());
        const std::string tls = mysql_get_ssl_cipher(mysql.get()) ? " over TLS" : "";
        run.result(verdict.status, target_ + ": " + (server ? server : "server") + tls + lag_text +
                                       ", query " + "returned " + mask_secret(shown, password_) +
                                       " in " + format_duration(query_time) + ", connected in " +
                                       format_duration(connect_time) + verdict.notes);
    }

private:
    void read_tls(const vitals::Params &params) {
        const std::string tls = params.string("tls");
        if (tls == "off")
            tls_ = Tls::off;
        else if (tls == "on")
            tls_ = Tls::on;
        else if (tls == "verify")
            tls_ = Tls::verify;
        else
            params.reject("tls", "must be off, on or verify, got \"" + tls + "\"");
        for (const auto &[key, file] :
             {std::pair{"tls_ca", &tls_ca_}, std::pair{"tls_cert", &tls_cert_},
              std::pair{"tls_key", &tls_key_}}) {
            if (!params.has(key)) continue;
            *file = params.string(key);
            if (tls_ == Tls::off) params.reject(key, "needs tls = \"on\" or \"verify\"");
            // libmariadb verifies against a CA it is given even when told not to verify.
            if (file == &tls_ca_ && tls_ != Tls::verify)
                params.reject(key, "is for tls = \"verify\": \"on\" checks no certificate");
            if (file->empty() || file->front() != '/')
                params.reject(key, "must be an absolute path, got \"" + *file + "\"");
        }
        if (tls_cert_.empty() != tls_key_.empty())
            params.reject(tls_cert_.empty() ? "tls_key" : "tls_cert",
                          "tls_cert and tls_key go together");
    }

    void read_value_limits(const vitals::Params &params) {
        const auto read = [&](const char *key) -> std::optional<double> {
            if (!params.has(key)) return std::nullopt;
            const double value = params.number(key);
            if (!std::isfinite(value)) params.reject(key, "must be a finite number");
            return value;
        };
        warning_above_ = read("warning_above");
        error_above_ = read("error_above");
        warning_below_ = read("warning_below");
        error_below_ = read("error_below");
        const auto show = [](double v) { return fixed(v, 2); };
        require_not_above(params, "warning_above", warning_above_, "error_above", error_above_,
                          show);
        if (warning_below_ && error_below_)
            require_not_below(params, "warning_below", *warning_below_, "error_below",
                              *error_below_, show);
        if (has_value_limits() && expect_)
            params.reject("expect", "is exact: it cannot go with limits on the value");
    }

    bool has_value_limits() const {
        return warning_above_ || error_above_ || warning_below_ || error_below_;
    }

    /// libmariadb's timeouts are whole seconds: rounded down, so the plugin gives up before
    /// the agent does, but at least one, which the library reads as "no timeout" if zero.
    void configure(MYSQL &mysql, Clock::time_point deadline) const {
        const auto left = std::chrono::floor<std::chrono::seconds>(deadline - Clock::now());
        const unsigned seconds = static_cast<unsigned>(std::max<std::int64_t>(left.count(), 1));
        mysql_optionsv(&mysql, MYSQL_OPT_CONNECT_TIMEOUT, &seconds);
        mysql_optionsv(&mysql, MYSQL_OPT_READ_TIMEOUT, &seconds);
        mysql_optionsv(&mysql, MYSQL_OPT_WRITE_TIMEOUT, &seconds);
        // "localhost" would otherwise mean the default socket, and a socket path needs it.
        const unsigned protocol = unix_socket_ ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
        mysql_optionsv(&mysql, MYSQL_OPT_PROTOCOL, &protocol);
        // No option files: the check's parameters are the whole configuration.
        if (tls_ == Tls::off) return;
        const my_bool yes = 1;
        const my_bool verify = tls_ == Tls::verify ? 1 : 0;
        mysql_optionsv(&mysql, MYSQL_OPT_SSL_ENFORCE, &yes);
        mysql_optionsv(&mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
        if (!tls_ca_.empty()) mysql_optionsv(&mysql, MYSQL_OPT_SSL_CA, tls_ca_.c_str());
        if (!tls_cert_.empty()) mysql_optionsv(&mysql, MYSQL_OPT_SSL_CERT, tls_cert_.c_str());
        if (!tls_key_.empty()) mysql_optionsv(&mysql, MYSQL_OPT_SSL_KEY, tls_key_.c_str());
    }

    /// The library's or the server's reason, with the password masked in case a proxy ever
    /// echoes it; a read that ran into its timeout says how long it waited.
    std::string failure(MYSQL &mysql, Clock::time_point start) const {
        const unsigned code = mysql_errno(&mysql);
        std::string text = mysql_error(&mysql);
        const bool timed_out = text.find("timeout") != std::string::npos ||
                               text.find("Timeout") != std::string::npos ||
                               text.find("timed out") != std::string::npos ||
                               text.find("system error: 110") != std::string::npos; // ETIMEDOUT
        if (timed_out) return "timed out after " + format_duration(Clock::now() - start);
        return mask_secret(text, password_) + " (" + std::to_string(code) + ")";
    }

    /// Runs `sql` and gives the first column of its first row (nothing for NULL or no row).
    std::optional<std::string> first_value(MYSQL &mysql, const std::string &sql,
                                           Clock::time_point start,
                                           std::optional<std::string> &value) const {
        if (mysql_real_query(&mysql, sql.data(), sql.size()) != 0) return failure(mysql, start);
        const Result result{mysql_store_result(&mysql)};
        if (!result) {
            if (mysql_field_count(&mysql) != 0) return failure(mysql, start);
            return std::nullopt; // a statement without rows: nothing to compare
        }
        const MYSQL_ROW row = mysql_fetch_row(result.get());
        if (row && mysql_num_fields(result.get()) > 0 && row[0]) {
            const unsigned long *lengths = mysql_fetch_lengths(result.get());
            value = std::string{row[0], lengths[0]};
        }
        // Further results of a multi-statement query are drained, so the connection stays usable.
        while (mysql_next_result(&mysql) == 0)
            Result{mysql_store_result(&mysql)};
        return std::nullopt;
    }

    void judge_value(vitals::Run &run, const std::optional<std::string> &first,
                     Verdict &verdict) const {
        const auto number = first ? parse_number(*first) : std::nullopt;
        if (!number) {
            verdict.raise(vitals::Status::error, "the value is not a number");
            return;
        }
        run.metric("value", *number);
        const auto shown = fixed(*number, 2);
        if (error_above_ && *number > *error_above_)
            verdict.raise(vitals::Status::error, shown + " above " + fixed(*error_above_, 2));
        else if (error_below_ && *number < *error_below_)
            verdict.raise(vitals::Status::error, shown + " below " + fixed(*error_below_, 2));
        else if (warning_above_ && *number > *warning_above_)
            verdict.raise(vitals::Status::warning, shown + " above " + fixed(*warning_above_, 2));
        else if (warning_below_ && *number < *warning_below_)
            verdict.raise(vitals::Status::warning, shown + " below " + fixed(*warning_below_, 2));
    }

    /// SHOW REPLICA STATUS (MySQL 8.0.22+, MariaDB 10.5.1+), or SHOW SLAVE STATUS on older
    /// servers, which refuse the new words as a syntax error.
    std::optional<std::string> replica_state(MYSQL &mysql, Clock::time_point start,
                                             ReplicaState &state) const {
        static constexpr std::string_view replica = "SHOW REPLICA STATUS";
        static constexpr std::string_view slave = "SHOW SLAVE STATUS";
        if (mysql_real_query(&mysql, replica.data(), replica.size()) != 0) {
            if (mysql_errno(&mysql) != ER_PARSE_ERROR) return failure(mysql, start);
            if (mysql_real_query(&mysql, slave.data(), slave.size()) != 0)
                return failure(mysql, start);
        }
        const Result result{mysql_store_result(&mysql)};
        if (!result) return failure(mysql, start);
        const MYSQL_ROW row = mysql_fetch_row(result.get());
        if (!row) return std::nullopt; // not a replica
        state.replica = true;
        const unsigned count = mysql_num_fields(result.get());
        const MYSQL_FIELD *fields = mysql_fetch_fields(result.get());
        for (unsigned i = 0; i < count; ++i) {
            const std::string name{fields[i].name, fields[i].name_length};
            const std::string value = row[i] ? row[i] : "";
            if (name == "Seconds_Behind_Source" || name == "Seconds_Behind_Master") {
                if (row[i]) state.lag = parse_number(value);
            } else if (name == "Replica_IO_Running" || name == "Slave_IO_Running") {
                state.io_running = value;
            } else if (name == "Replica_SQL_Running" || name == "Slave_SQL_Running") {
                state.sql_running = value;
            } else if ((name == "Last_IO_Error" || name == "Last_SQL_Error") && !value.empty() &&
                       state.last_error.empty()) {
                state.last_error = value;
            }
        }
        while (mysql_next_result(&mysql) == 0)
            Result{mysql_store_result(&mysql)};
        return std::nullopt;
    }

    /// False when the server cannot be judged a healthy replica (text says why); else the
    /// lag is measured and `text` shows it.
    bool judge_lag(vitals::Run &run, const ReplicaState &replica, Verdict &verdict,
                   std::string &text) const {
        if (!replica.replica) {
            text = "not a replica (SHOW REPLICA STATUS is empty)";
            return false;
        }
        if (!replica.lag) {
            text = "replication is not running (IO thread " +
                   (replica.io_running.empty() ? "?" : replica.io_running) + ", SQL thread " +
                   (replica.sql_running.empty() ? "?" : replica.sql_running) + ")" +
                   (replica.last_error.empty() ? ""
                                               : ": " + mask_secret(replica.last_error, password_));
            return false;
        }
        run.metric("replica_lag", *replica.lag, "seconds");
        const nanoseconds lag{static_cast<std::int64_t>(*replica.lag * 1e9)};
        text = ", replica " + fixed(*replica.lag, 0) + " s behind";
        if (lag_error_ && lag > *lag_error_)
            verdict.raise(vitals::Status::error,
                          "replica lag above " + format_duration(*lag_error_));
        else if (lag_warning_ && lag > *lag_warning_)
            verdict.raise(vitals::Status::warning,
                          "replica lag above " + format_duration(*lag_warning_));
        return true;
    }

    LibraryUse library_; // first: initialised before, ended after everything else
    std::string host_;
    std::int64_t port_;
    bool unix_socket_ = false;
    std::string user_;
    std::string password_;
    std::optional<std::string> database_;
    Tls tls_ = Tls::off;
    std::string tls_ca_, tls_cert_, tls_key_;
    std::string query_;
    std::optional<std::string> expect_;
    std::optional<double> warning_above_, error_above_, warning_below_, error_below_;
    std::optional<nanoseconds> lag_warning_, lag_error_;
    TimeLimits time_;
    std::string target_; // "host:port" or the socket path, as every message names it
};

} // namespace

VITALS_CPP_PLUGIN(MysqlCheck, "mysql", "0.1.0",
                  "Whether MariaDB or MySQL accepts a connection and answers a query as "
                  "expected, and how far a replica lags",
                  mysql_params)
