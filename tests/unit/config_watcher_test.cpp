// Reload on edit: which changes on disk call for a reload, and how many reloads a burst is.
// Real files and inotify; the tests wait for the watcher's call, never a fixed time.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "app/config_watcher.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using vitals::ConfigWatcher;
using vitals::test::TempDir;

/// How long a change may take to be noticed on a busy machine: far more than it does.
constexpr auto noticed_within = 10s;
/// A debounce short enough that the tests of what is watched go quickly.
constexpr auto short_debounce = 10ms;

/// The watcher's calls, counted and waited for.
class Reloads {
public:
    ConfigWatcher::OnChange callback() {
        return [this] {
            const std::lock_guard lock{mutex_};
            ++count_;
            called_.notify_all();
        };
    }
    /// Waits until there have been `count` calls; false if they did not come in time.
    bool wait_for(int count) {
        std::unique_lock lock{mutex_};
        return called_.wait_for(lock, noticed_within, [&] { return count_ >= count; });
    }
    int count() const {
        const std::lock_guard lock{mutex_};
        return count_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable called_;
    int count_ = 0; // guarded by mutex_
};

/// An agent's files as the watcher sees them: agent.toml, conf.d/ and plugins/.
struct ConfigTree {
    TempDir dir;

    ConfigTree() {
        fs::create_directories(dir.path() / "conf.d");
        fs::create_directories(dir.path() / "plugins");
        dir.write("agent.toml", "listen = \"127.0.0.1:0\"\n");
        dir.write("conf.d/10-checks.toml", "[check.root]\nplugin = \"disk\"\n");
    }
    ConfigWatcher::Paths paths() const {
        return {dir.path() / "conf.d", dir.path() / "agent.toml", {dir.path() / "plugins"}};
    }
};

} // namespace

TEST_CASE("config watcher: every kind of change to the configuration calls for a reload") {
    ConfigTree tree;
    Reloads reloads;
    ConfigWatcher watcher{tree.paths(), short_debounce, reloads.callback()};

    SUBCASE("a drop-in written") {
        tree.dir.write("conf.d/20-more.toml", "# more\n");
    }
    SUBCASE("a drop-in removed") {
        fs::remove(tree.dir.path() / "conf.d/10-checks.toml");
    }
    SUBCASE("a drop-in renamed into place") {
        // What an editor's "save" does: a temporary file, then a rename over the old one.
        tree.dir.write("conf.d/.10-checks.toml.tmp", "[check.root]\nplugin = \"load\"\n");
        fs::rename(tree.dir.path() / "conf.d/.10-checks.toml.tmp",
                   tree.dir.path() / "conf.d/10-checks.toml");
    }
    SUBCASE("agent.toml written") {
        tree.dir.write("agent.toml", "log_level = \"debug\"\n");
    }
    SUBCASE("a ConfigMap volume's ..data link swapped") {
        // The kubelet updates a mounted ConfigMap by renaming a new "..data" link over the
        // old one, in the directory agent.toml is in.
        fs::create_symlink(".", tree.dir.path() / "..data_tmp");
        fs::rename(tree.dir.path() / "..data_tmp", tree.dir.path() / "..data");
    }
    SUBCASE("a plugin file dropped in") {
        tree.dir.write("plugins/extra.so", "not really\n");
    }
    CHECK(reloads.wait_for(1));
}

TEST_CASE("config watcher: which names in a watched directory matter") {
    const ConfigWatcher::Watch conf_d{"", ".toml"};
    const ConfigWatcher::Watch agent_dir{"agent.toml", ""};
    const ConfigWatcher::Watch plugins{"", ".so"};
    CHECK(ConfigWatcher::matters(conf_d, "10-checks.toml"));
    CHECK(ConfigWatcher::matters(conf_d, ""));       // the directory itself
    CHECK(ConfigWatcher::matters(conf_d, "..data")); // a ConfigMap's swap
    // Editors' swap, lock and backup files, and what conf.d does not read.
    for (const char *ignored : {".10-checks.toml.swp", ".#10-checks.toml", "10-checks.toml~",
                                "notes.txt", "README", ".hidden.toml", "..data_tmp"})
        CHECK_FALSE_MESSAGE(ConfigWatcher::matters(conf_d, ignored), ignored);

    CHECK(ConfigWatcher::matters(agent_dir, "agent.toml"));
    CHECK(ConfigWatcher::matters(agent_dir, "..data"));
    for (const char *ignored : {"other.toml", ".agent.toml.swp", "agent.toml~", "agent.toml.bak"})
        CHECK_FALSE_MESSAGE(ConfigWatcher::matters(agent_dir, ignored), ignored);

    CHECK(ConfigWatcher::matters(plugins, "disk.so"));
    // docs/operations.md: a new build is copied in under a dot-name, then renamed over.
    for (const char *ignored : {".disk.so.new", "disk.so.bak", "notes.txt"})
        CHECK_FALSE_MESSAGE(ConfigWatcher::matters(plugins, ignored), ignored);
}

TEST_CASE("config watcher: a burst of writes within the debounce is one reload") {
    ConfigTree tree;
    Reloads reloads;
    std::optional<ConfigWatcher> watcher{std::in_place, tree.paths(), 300ms, reloads.callback()};
    for (int i = 0; i < 5; ++i)
        tree.dir.write("conf.d/1" + std::to_string(i) + "-burst.toml", "# " + std::to_string(i));
    tree.dir.write("agent.toml", "log_level = \"debug\"\n");
    REQUIRE(reloads.wait_for(1));
    // Stopping joins the watcher's thread: every call the burst caused is counted by now.
    watcher.reset();
    CHECK(reloads.count() == 1);
}

TEST_CASE("config watcher: a directory it cannot watch is left out, the others are watched") {
    ConfigTree tree;
    Reloads reloads;
    auto paths = tree.paths();
    paths.conf_d = tree.dir.path() / "no-such-conf.d";
    ConfigWatcher watcher{paths, short_debounce, reloads.callback()};
    tree.dir.write("plugins/extra.so", "not really\n");
    CHECK(reloads.wait_for(1));
}

TEST_CASE("config watcher: by default a settled change raises SIGHUP, the agent's reload signal") {
    // Blocked in this thread before the watcher's starts (it inherits the mask), so the
    // signal waits, pending, for sigtimedwait() instead of ending the test.
    sigset_t hangup;
    sigemptyset(&hangup);
    sigaddset(&hangup, SIGHUP);
    sigset_t before;
    REQUIRE(::pthread_sigmask(SIG_BLOCK, &hangup, &before) == 0);
    ConfigTree tree;
    int received = -1;
    {
        ConfigWatcher watcher{tree.paths(), 100ms};
        tree.dir.write("conf.d/20-more.toml", "# more\n");
        const timespec limit{std::chrono::seconds{noticed_within}.count(), 0};
        received = ::sigtimedwait(&hangup, nullptr, &limit);
    }
    // A second one, had the write been noticed as two changes, must not end the test.
    const timespec at_once{0, 0};
    while (::sigtimedwait(&hangup, nullptr, &at_once) == SIGHUP) {
    }
    REQUIRE(::pthread_sigmask(SIG_SETMASK, &before, nullptr) == 0);
    CHECK(received == SIGHUP);
}
