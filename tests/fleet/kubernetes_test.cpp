// The Kubernetes manifests in packaging/kubernetes/, read by k8s_manifests.py
// (PyYAML) and checked against the real agent: every probe's path and port is a
// route vitalsd serves with the manifest's own ConfigMap, and it answers 200.
// SPDX-License-Identifier: MIT
#include "fleet/fleet_support.hpp"

#include <fstream>
#include <memory>
#include <sstream>

using namespace vitals::fleet;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

const std::string kubernetes_dir = std::string{VITALS_PACKAGING_DIR} + "/kubernetes";

Object::Ptr describe_manifests() {
    const auto result = run(quote(VITALS_SYSTEM_PYTHON) + " " + quote(VITALS_K8S_MANIFESTS_PY) +
                            " describe " + quote(kubernetes_dir + "/daemonset.yaml") + " " +
                            quote(kubernetes_dir + "/sidecar.yaml"));
    INFO(result.output);
    REQUIRE_MESSAGE(result.exit_code == 0, "k8s_manifests.py failed (is python3-yaml installed?)");
    return parse(result.output);
}

Object::Ptr workload(const std::string &where) {
    const auto workloads = describe_manifests()->getArray("workloads");
    for (std::size_t i = 0; i < workloads->size(); ++i) {
        const auto item = workloads->getObject(static_cast<unsigned>(i));
        if (item->getValue<std::string>("where") == where) return item;
    }
    FAIL("no workload " << where << " in the manifests");
    return nullptr;
}

std::string replace_all(std::string text, const std::string &from, const std::string &to,
                        int *count = nullptr) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
        if (count) ++*count;
    }
    return text;
}

/// The ConfigMap's files as the agent container sees them, written under `root`
/// instead of the mount path, with what only makes sense in a pod adapted:
/// plugin_dirs → this build's, and the application's ports → `app_ports`.
struct Rewrite {
    std::filesystem::path root;
    std::vector<std::pair<int, std::uint16_t>> app_ports; ///< manifest port → stand-in's port
};

void write_config_files(const Object::Ptr &agent, const Rewrite &rewrite,
                        const std::filesystem::path &into) {
    const std::string mount = agent->getValue<std::string>("mount_path");
    const auto files = agent->getObject("files");
    const std::string config_name =
        std::filesystem::path{agent->getValue<std::string>("config_file")}
            .lexically_relative(mount)
            .string();
    int app_port_rewrites = 0;
    const auto to_stand_in_ports = [&](std::string text) {
        for (const auto &[from, to] : rewrite.app_ports) {
            text = replace_all(text, "127.0.0.1:" + std::to_string(from),
                               "127.0.0.1:" + std::to_string(to), &app_port_rewrites);
            text = replace_all(text, "port = " + std::to_string(from),
                               "port = " + std::to_string(to), &app_port_rewrites);
        }
        return text;
    };
    // Secret volumes' files under `into`/secret-volumes, with the mode the kubelet gives them
    // (the agent refuses one every user may read), and the application's ports in them too.
    std::vector<std::pair<std::string, std::string>> secret_paths; ///< in the pod → here
    const auto secrets = agent->getArray("secret_files");
    for (std::size_t i = 0; i < secrets->size(); ++i) {
        const auto secret = secrets->getObject(static_cast<unsigned>(i));
        const std::string in_pod = secret->getValue<std::string>("path");
        const auto file = into / "secret-volumes" / std::filesystem::path{in_pod}.relative_path();
        std::filesystem::create_directories(file.parent_path());
        std::ofstream{file} << to_stand_in_ports(secret->getValue<std::string>("text"));
        std::filesystem::permissions(
            file, static_cast<std::filesystem::perms>(secret->getValue<int>("mode")));
        secret_paths.emplace_back(in_pod, file.string());
    }
    for (const auto &[relative, value] : *files) {
        std::string text = replace_all(value.toString(), mount, rewrite.root.string());
        for (const auto &[in_pod, here] : secret_paths)
            text = replace_all(text, in_pod, here);
        if (relative == config_name) {
            // This build's plugins, in place of the image's (a top-level key,
            // so it goes first, before any table).
            std::istringstream lines{text};
            std::string line;
            std::string out =
                "plugin_dirs = [\"" + std::string{VITALS_SHIPPED_PLUGIN_DIR} + "\"]\n";
            // And state kept under `root`, not in the node's /var/lib/vitals.
            out += "state_dir = \"" + (rewrite.root / "state").string() + "\"\n";
            while (std::getline(lines, line))
                if (line.rfind("plugin_dirs", 0) != 0 && line.rfind("state_dir", 0) != 0)
                    out += line + "\n";
            text = out;
        } else {
            text = to_stand_in_ports(std::move(text));
        }
        const auto file = into / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream{file} << text;
    }
    if (!rewrite.app_ports.empty())
        CHECK_MESSAGE(app_port_rewrites > 0, "no check in conf.d watches the application's port");
}

/// The agent container's args with --config moved to `root` and --listen on a free loopback port.
std::vector<std::string> agent_args(const Object::Ptr &agent, const std::filesystem::path &root) {
    const std::string mount = agent->getValue<std::string>("mount_path");
    const auto args = agent->getArray("args");
    std::vector<std::string> out;
    bool has_config = false;
    for (std::size_t i = 0; i < args->size(); ++i) {
        std::string arg = args->getElement<std::string>(static_cast<unsigned>(i));
        if (arg == "--listen" || arg.rfind("--listen=", 0) == 0) {
            if (arg == "--listen") ++i;
            continue;
        }
        if (arg.rfind("--config", 0) == 0) has_config = true;
        out.push_back(replace_all(arg, mount, root.string()));
    }
    if (!has_config) out.insert(out.begin(), {"--config", (root / "agent.toml").string()});
    out.insert(out.end(), {"--listen", "127.0.0.1:0"});
    return out;
}

/// Starts the agent of `where` with its ConfigMap and asks it every probe of the pod.
void probes_answer_from_the_real_agent(const std::string &where) {
    const auto item = workload(where);
    const auto agent = item->getObject("agent");

    // The application the sidecar watches: a stand-in per declared port.
    std::vector<std::unique_ptr<FakeApp>> apps;
    Rewrite rewrite;
    TempDir root, logs;
    rewrite.root = root.path();
    const auto app_ports = item->getArray("app_ports");
    for (std::size_t i = 0; i < app_ports->size(); ++i) {
        apps.push_back(std::make_unique<FakeApp>());
        rewrite.app_ports.emplace_back(app_ports->getElement<int>(static_cast<unsigned>(i)),
                                       apps.back()->port());
    }
    write_config_files(agent, rewrite, root.path());
    const auto args = agent_args(agent, root.path());

    auto check_args = args;
    check_args.push_back("--check-config");
    const auto validation = run_vitalsd(logs.path(), check_args);
    INFO("vitalsd --check-config:\n", validation.output);
    REQUIRE(validation.exit_code == 0);

    AgentProcess process{logs.path(), args};
    const auto port = process.wait_for_port(30s);
    INFO("agent log:\n", process.log());

    const auto containers = item->getArray("containers");
    int probes = 0;
    for (std::size_t c = 0; c < containers->size(); ++c) {
        const auto container = containers->getObject(static_cast<unsigned>(c));
        const auto list = container->getArray("probes");
        for (std::size_t p = 0; p < list->size(); ++p) {
            const auto probe = list->getObject(static_cast<unsigned>(p));
            const std::string path = probe->getValue<std::string>("path");
            const std::string name = container->getValue<std::string>("name") + "." +
                                     probe->getValue<std::string>("kind") + " GET " + path;
            // The port is the agent's (k8s_manifests.py reports any other as a problem).
            CHECK_MESSAGE(probe->getValue<int>("port") == agent->getValue<int>("listen_port"),
                          name);
            // Checks in the startup group answer 503 until their first run.
            HttpReply reply;
            const auto settled = [&] {
                reply = try_get(port, path);
                // 404, 405 and 400 say the path is no route: no point waiting.
                const int code = reply.status;
                return code == 200 || code == 404 || code == 405 || code == 400;
            };
            const bool ok = eventually(30s, settled) && reply.status == 200;
            const std::string answer = name + " answered " + std::to_string(reply.status);
            CHECK_MESSAGE(ok, answer << " " << reply.body);
            MESSAGE(where << ": " << answer);
            ++probes;
        }
    }
    CHECK(probes > 0);
    // A 200 means something: a path the agent does not serve is 404.
    CHECK(try_get(port, "/health/no-such-route").status == 404);

    // The footprint the resources were sized from: the request (what the scheduler
    // reserves, and what the manifests say was sized from measurement) covers it,
    // and the limit (where the kernel kills the pod) is above it.
    const double rss = rss_bytes(process.pid());
    const double request = agent->getValue<double>("memory_request_bytes");
    const double limit = agent->getValue<double>("memory_limit_bytes");
    MESSAGE(where << ": VmRSS " << rss / 1048576 << " MiB; request " << request / 1048576
                  << " MiB, limit " << limit / 1048576 << " MiB");
    CHECK(rss > 0);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    MESSAGE("sanitizer build: its shadow memory is not the footprint; request and limit not "
            "checked");
#else
    CHECK_MESSAGE(rss <= request, where << ": the agent's resident memory is above the memory "
                                           "request the manifest reserves for it");
    CHECK(rss < limit);
#endif

    // Pod deletion: readiness turns 503 at once (draining), liveness stays 200.
    if (agent->getValue<double>("shutdown_delay_seconds") >= 1) {
        process.signal(SIGTERM);
        CHECK(eventually(2s, [&] { return try_get(port, "/health/ready").status == 503; }));
        CHECK(try_get(port, "/health/live").status == 200);
    }
}

/// What the kubelet does to a ConfigMap volume (AtomicWriter): the files live in
/// a timestamped directory, `..data` points at it, and each top-level name is
/// a symlink through `..data`. An update writes a new directory, swaps
/// `..data` by rename, and removes the old directory.
class ConfigMapVolume {
public:
    explicit ConfigMapVolume(std::filesystem::path root) : root_(std::move(root)) {}

    void write(const std::map<std::string, std::string> &files) {
        const std::string version = "..2026_11_21_00_00_0" + std::to_string(++version_);
        for (const auto &[relative, text] : files) {
            const auto file = root_ / version / relative;
            std::filesystem::create_directories(file.parent_path());
            std::ofstream{file} << text;
        }
        std::filesystem::create_directory_symlink(version, root_ / "..data_tmp");
        std::filesystem::rename(root_ / "..data_tmp", root_ / "..data");
        for (const auto &[relative, text] : files) {
            const auto top = std::filesystem::path{relative}.begin()->string();
            if (!std::filesystem::is_symlink(root_ / top))
                std::filesystem::create_symlink(std::filesystem::path{"..data"} / top, root_ / top);
        }
        if (!previous_.empty()) std::filesystem::remove_all(root_ / previous_);
        previous_ = version;
    }

private:
    std::filesystem::path root_;
    std::string previous_;
    int version_ = 0;
};

} // namespace

TEST_CASE("fleet: kubernetes manifests hang together (probes, ports, ConfigMap items, "
          "listen address, grace period, resources)") {
    const auto description = describe_manifests();
    const auto problems = description->getArray("problems");
    for (std::size_t i = 0; i < problems->size(); ++i)
        FAIL_CHECK(problems->getElement<std::string>(static_cast<unsigned>(i)));
    const auto workloads = description->getArray("workloads");
    REQUIRE(workloads->size() == 2);
    CHECK(workloads->getObject(0)->getValue<std::string>("where") ==
          "daemonset.yaml: DaemonSet/vitals");
    CHECK(workloads->getObject(1)->getValue<std::string>("where") ==
          "sidecar.yaml: Deployment/web");
}

TEST_CASE("fleet: a state_dir on the read-only root file system is a manifest problem") {
    // The DaemonSet without its state volume: the agent could keep nothing.
    std::ifstream in{kubernetes_dir + "/daemonset.yaml"};
    std::stringstream text;
    text << in.rdbuf();
    int removed = 0;
    const std::string without = replace_all(
        text.str(), "            - name: state\n              mountPath: /var/lib/vitals\n", "",
        &removed);
    REQUIRE(removed == 1);
    TempDir dir;
    const auto file = dir.write("daemonset.yaml", without);
    const auto result = run(quote(VITALS_SYSTEM_PYTHON) + " " + quote(VITALS_K8S_MANIFESTS_PY) +
                            " describe " + quote(file.string()));
    REQUIRE(result.exit_code == 0);
    CHECK(result.output.find("state_dir /var/lib/vitals is on no writable volume") !=
          std::string::npos);
}

TEST_CASE("fleet: kubernetes DaemonSet probes are routes the real agent serves with its "
          "ConfigMap, answering 200") {
    probes_answer_from_the_real_agent("daemonset.yaml: DaemonSet/vitals");
}

TEST_CASE("fleet: kubernetes sidecar probes are routes the real agent serves with its "
          "ConfigMap, answering 200") {
    probes_answer_from_the_real_agent("sidecar.yaml: Deployment/web");
}

TEST_CASE("fleet: a ConfigMap update, swapped in the way the kubelet does, reloads the agent") {
    const auto agent = workload("daemonset.yaml: DaemonSet/vitals")->getObject("agent");
    TempDir volume, staging, logs;
    write_config_files(agent, Rewrite{volume.path(), {}}, staging.path());
    std::map<std::string, std::string> files;
    for (const auto &entry : std::filesystem::recursive_directory_iterator{staging.path()})
        if (entry.is_regular_file())
            files[entry.path().lexically_relative(staging.path()).string()] =
                read_text(entry.path());
    REQUIRE(files.count("agent.toml") == 1);
    const std::string conf_file = "conf.d/10-node.toml";
    REQUIRE(files.count(conf_file) == 1);

    ConfigMapVolume configmap{volume.path()};
    configmap.write(files);
    AgentProcess process{logs.path(), agent_args(agent, volume.path())};
    const auto port = process.wait_for_port(30s);
    INFO("agent log:\n", process.log());
    CHECK(try_get(port, "/health/checks/added").status == 404);

    const std::string added = "\n[check.added]\nplugin = \"uptime\"\ninterval = \"1s\"\n";
    auto updated = files;
    updated[conf_file] += added;
    configmap.write(updated);
    CHECK_MESSAGE(
        eventually(20s, [&] { return try_get(port, "/health/checks/added").status != 404; }),
        "the agent did not pick up the updated ConfigMap");

    // A second update: the agent's watch must have followed the swap. The agent
    // re-arms its watch at the end of a reload, after the new checks show, and
    // misses a change made before that; the kubelet updates a ConfigMap volume
    // about once a minute at most, so give it a moment.
    std::this_thread::sleep_for(1s);
    configmap.write(files);
    CHECK_MESSAGE(
        eventually(20s, [&] { return try_get(port, "/health/checks/added").status == 404; }),
        "the agent did not pick up the second update");
}
