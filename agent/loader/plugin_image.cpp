// SPDX-License-Identifier: MIT
#include "loader/plugin_image.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>

#include "loader/elf_extent.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {
namespace {

// MFD_EXEC (Linux 6.3): where vm.memfd_noexec asks for it, a memfd without it cannot be
// mapped executable. Older kernels reject the flag, and need none.
#ifndef MFD_EXEC
constexpr unsigned int MFD_EXEC = 0x10U;
#endif
/// The longest name memfd_create() takes (NAME_MAX less its "memfd:" prefix).
constexpr std::size_t max_memfd_name = 249;
constexpr int all_seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;

std::string identity_of(const struct stat &info) {
    return fmt::format("{}:{}:{}:{}.{}", info.st_dev, info.st_ino, info.st_size,
                       info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
}

plugins::UniqueFd create_memfd(const std::filesystem::path &file) {
    // Named after the file, for /proc/<pid>/maps and for a plugin that looks for files
    // installed beside its own (docs/plugin-guide.md); the file name alone if too long.
    std::string name = std::filesystem::absolute(file).lexically_normal().string();
    if (name.size() > max_memfd_name) name = file.filename().string().substr(0, max_memfd_name);
    const unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
    int fd = ::memfd_create(name.c_str(), flags | MFD_EXEC);
    if (fd < 0 && errno == EINVAL) fd = ::memfd_create(name.c_str(), flags);
    if (fd < 0)
        throw PluginLoadError{fmt::format("{}: cannot make a private copy to load: {}",
                                          file.string(), std::strerror(errno))};
    return plugins::UniqueFd{fd};
}

/// Copies `size` bytes from `from` (at offset 0) to the end of `to`; false if `from` ends
/// sooner (it was cut short meanwhile).
bool copy_bytes(int from, int to, std::uint64_t size, const std::filesystem::path &file) {
    std::array<char, 64 * 1024> buffer{};
    std::uint64_t offset = 0;
    while (offset < size) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - offset));
        const ssize_t got = ::pread(from, buffer.data(), want, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0)
            throw PluginLoadError{
                fmt::format("{}: cannot read: {}", file.string(), std::strerror(errno))};
        if (got == 0) return false;
        for (ssize_t done = 0; done < got;) {
            const ssize_t n =
                ::write(to, buffer.data() + done, static_cast<std::size_t>(got - done));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0)
                throw PluginLoadError{fmt::format("{}: cannot make a private copy to load: {}",
                                                  file.string(), std::strerror(errno))};
            done += n;
        }
        offset += static_cast<std::uint64_t>(got);
    }
    return true;
}

} // namespace

PluginImage::PluginImage(std::filesystem::path file) : file_(std::move(file)) {
    fd_.reset(::open(file_.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd_.get() < 0 || ::fstat(fd_.get(), &info_) != 0)
        throw PluginLoadError{fmt::format("{}: {}", file_.string(), std::strerror(errno))};
    identity_ = identity_of(info_);
}

plugins::UniqueFd PluginImage::copy() const {
    const auto refuse = [this](const std::string &why) {
        return PluginLoadError{
            fmt::format("{}: {}; refused until the file changes again", file_.string(), why)};
    };
    plugins::UniqueFd copy = create_memfd(file_);
    const auto size = static_cast<std::uint64_t>(info_.st_size);
    const bool whole = copy_bytes(fd_.get(), copy.get(), size, file_);
    struct stat after {};
    if (!whole || ::fstat(fd_.get(), &after) != 0 || identity_of(after) != identity_)
        throw refuse("it changed while being read (a copy still being written?)");
    if (const auto shortfall = elf_shortfall(copy.get(), size))
        throw refuse(fmt::format("incomplete: it {} (a copy still being written?)", *shortfall));
    if (::fcntl(copy.get(), F_ADD_SEALS, all_seals) != 0)
        throw PluginLoadError{fmt::format("{}: cannot seal its private copy: {}", file_.string(),
                                          std::strerror(errno))};
    return copy;
}

std::string copy_path(const plugins::UniqueFd &copy) {
    return fmt::format("/proc/self/fd/{}", copy.get());
}

} // namespace vitals
