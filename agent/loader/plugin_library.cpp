// SPDX-License-Identifier: MIT
#include "loader/plugin_library.hpp"

#include <cstddef>
#include <cstring>
#include <utility>

#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>

#include "core/names.hpp"
#include "core/utf8.hpp"
#include "loader/build_registry.hpp"
#include "loader/param_limits.hpp"
#include "loader/plugin_image.hpp"

namespace vitals {
namespace {

// The smallest descriptor any 1.x plugin can have: everything up to 1.0's last member.
constexpr std::size_t min_descriptor_size = offsetof(vitals_plugin, destroy) + sizeof(void *);
constexpr std::size_t min_param_spec_size = offsetof(vitals_param_spec, secret) + sizeof(int32_t);
// A table whose entries reach past 1.1's last member carries min, max, choices and limits.
constexpr std::size_t limits_param_spec_size =
    offsetof(vitals_param_spec, limits) + sizeof(std::uint32_t);
constexpr std::size_t max_params = 256;

bool is_known_param_type(int32_t type) {
    return type >= VITALS_PARAM_STRING && type <= VITALS_PARAM_STRING_LIST;
}

} // namespace

struct PluginLibrary::Handle {
    boost::dll::shared_library library;
    std::string identity; ///< the file's build, as loaded

    Handle() = default;
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    ~Handle() {
        if (!library.is_loaded()) return;
        auto &builds = BuildRegistry::instance();
        const auto lock = builds.lock();
        void *native = library.native();
        library.unload();
        builds.release(native);
    }
};

namespace {

/// `text` with every `name` spelled `file`: the dynamic linker's words name the copy.
std::string naming_file(std::string text, const std::string &name,
                        const std::filesystem::path &file) {
    for (auto at = text.find(name); at != std::string::npos;
         at = text.find(name, at + file.string().size()))
        text.replace(at, name.size(), file.string());
    return text;
}

/// Loads the build of `file` as it is now, from its private copy (see PluginImage), or
/// the library already loaded for that build.
std::unique_ptr<PluginLibrary::Handle> load_library(const std::filesystem::path &file) {
    auto handle = std::make_unique<PluginLibrary::Handle>();
    const PluginImage image{file};
    handle->identity = image.identity();
    auto &builds = BuildRegistry::instance();
    const auto lock = builds.lock();
    plugins::UniqueFd copy;
    std::string name;
    if (auto loaded = builds.loaded_name(handle->identity)) {
        name = std::move(*loaded);
    } else {
        copy = image.copy();
        name = builds.fresh_name(copy_path(copy));
    }
    try {
        // RTLD_LOCAL keeps one plugin's symbols from resolving another's;
        // RTLD_NOW reports missing dependencies here instead of mid-run.
        handle->library.load(name,
                             boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
    } catch (const std::exception &e) {
        throw PluginLoadError{fmt::format("{}: not a loadable shared library: {}", file.string(),
                                          naming_file(e.what(), name, file))};
    }
    builds.hold(handle->library.native(), handle->identity, name, std::move(copy));
    return handle;
}

/// How a message names parameter `index` (from 0): by its key, unless that is not fit to print.
std::string param_label(const vitals_param_spec &spec, std::size_t index) {
    return is_plain_text(spec.key) ? fmt::format("parameter '{}'", spec.key)
                                   : fmt::format("parameter #{}", index + 1);
}

/// Every string the plugin supplies, by what it is ("version", "parameter 'port' default
/// value"). They end up in log lines, JSON and Prometheus label values as they are.
std::vector<std::pair<std::string, const char *>>
supplied_strings(const vitals_plugin &descriptor, const std::vector<vitals_param_spec> &params) {
    std::vector<std::pair<std::string, const char *>> strings{
        {"version", descriptor.version}, {"description", descriptor.description}};
    for (std::size_t i = 0; i < params.size(); ++i) {
        const auto &spec = params[i];
        const std::string param = param_label(spec, i);
        strings.emplace_back(param + " key", spec.key);
        if (!is_plain_text(spec.key)) break; // what follows would be named by that key
        strings.emplace_back(param + " default value", spec.default_value);
        strings.emplace_back(param + " description", spec.description);
    }
    return strings;
}

} // namespace

std::shared_ptr<const PluginLibrary> PluginLibrary::open(const std::filesystem::path &file) {
    auto handle = load_library(file);
    if (!handle->library.has(VITALS_PLUGIN_ENTRY_SYMBOL))
        throw PluginLoadError{fmt::format("{}: no '{}' symbol; not a Vitals plugin", file.string(),
                                          VITALS_PLUGIN_ENTRY_SYMBOL)};
    auto &entry = handle->library.get<const vitals_plugin *()>(VITALS_PLUGIN_ENTRY_SYMBOL);
    const vitals_plugin *raw = entry();
    if (raw == nullptr)
        throw PluginLoadError{
            fmt::format("{}: {}() returned NULL", file.string(), VITALS_PLUGIN_ENTRY_SYMBOL)};
    // Members after abi_major may not exist in a future major: check it first.
    if (raw->abi_major != VITALS_ABI_MAJOR)
        throw PluginLoadError{fmt::format(
            "{}: incompatible plugin ABI: agent ABI {}.{}, plugin ABI {}.{}", file.string(),
            VITALS_ABI_MAJOR, VITALS_ABI_MINOR, raw->abi_major, raw->abi_minor)};
    if (raw->struct_size < min_descriptor_size)
        throw PluginLoadError{fmt::format("{}: descriptor is {} bytes, smaller than ABI 1.0's {}",
                                          file.string(), raw->struct_size, min_descriptor_size)};
    return std::shared_ptr<const PluginLibrary>(new PluginLibrary(file, std::move(handle), *raw));
}

PluginLibrary::PluginLibrary(std::filesystem::path file, std::unique_ptr<Handle> handle,
                             const vitals_plugin &raw)
    : file_(std::move(file)), handle_(std::move(handle)), identity_(handle_->identity) {
    // Copy at most what both sides know into a zeroed struct (OBS's rule).
    std::memcpy(&descriptor_, &raw, std::min<std::size_t>(raw.struct_size, sizeof descriptor_));
    if (!descriptor_.name || !is_valid_name(descriptor_.name))
        throw refusal("descriptor has no valid name (letters, digits, '_', '-', '.')");
    name_ = descriptor_.name;
    // Since 1.1 destroy_ex may stand in for destroy (a 1.0 agent refuses such a plugin).
    if (!descriptor_.create || !descriptor_.run ||
        (!descriptor_.destroy && !descriptor_.destroy_ex))
        throw refusal(fmt::format("plugin '{}' lacks create, run or destroy", name_));
    if (descriptor_.params) read_params();
    // A quote or a newline in a version string broke every /metrics scrape.
    for (const auto &[what, text] : supplied_strings(descriptor_, params_))
        if (text && !is_plain_text(text))
            throw refusal(fmt::format("plugin '{}' {} is not valid UTF-8 text without control "
                                      "characters",
                                      name_, what));
}

PluginLoadError PluginLibrary::refusal(const std::string &why) const {
    return PluginLoadError{fmt::format("{}: {}", file_.string(), why)};
}

void PluginLibrary::read_params() {
    if (descriptor_.param_spec_size < min_param_spec_size)
        throw refusal(fmt::format("plugin '{}' has param_spec_size {}, expected at least {}", name_,
                                  descriptor_.param_spec_size, min_param_spec_size));
    const auto *bytes = reinterpret_cast<const unsigned char *>(descriptor_.params);
    for (std::size_t i = 0;; ++i) {
        if (i == max_params)
            throw refusal(fmt::format("plugin '{}' parameter table has no end marker", name_));
        vitals_param_spec spec{};
        std::memcpy(&spec, bytes + i * descriptor_.param_spec_size,
                    std::min<std::size_t>(descriptor_.param_spec_size, sizeof spec));
        if (spec.key == nullptr) break;
        if (!is_known_param_type(spec.type))
            throw refusal(fmt::format("plugin '{}' {} has unknown type {}", name_,
                                      param_label(spec, i), spec.type));
        if (descriptor_.param_spec_size < limits_param_spec_size) {
            // A 1.0 table (or one cut short): what it lacks, or holds only part of, is unset.
            spec.min = spec.max = 0;
            spec.choices = nullptr;
            spec.limits = 0;
        }
        if (const auto problem = declared_limits_problem(spec))
            throw refusal(fmt::format("plugin '{}' {} {}", name_, param_label(spec, i), *problem));
        params_.push_back(spec);
    }
}

PluginLibrary::~PluginLibrary() = default;

const void *PluginLibrary::loaded_object() const noexcept {
    return handle_->library.native();
}

const vitals_param_spec *PluginLibrary::find_param(std::string_view key) const noexcept {
    for (const auto &spec : params_)
        if (key == spec.key) return &spec;
    return nullptr;
}

} // namespace vitals
