// Fault plugin: run() throws; the SDK wrapper turns it into an error result.
// SPDX-License-Identifier: MIT
#include <stdexcept>

#include <vitals/plugin.hpp>

namespace {

class Throw {
public:
    explicit Throw(const vitals::Params &) {}
    void run(vitals::Run &) { throw std::runtime_error("fault_throw: deliberate"); }
};

} // namespace

VITALS_CPP_PLUGIN(Throw, "fault_throw", "1.0.0", "throws from run()", nullptr)
