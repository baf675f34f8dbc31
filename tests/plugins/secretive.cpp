// Test plugin: a parameter secret only by its declaration, under a neutral name, that the
// plugin then puts into everything it says. SPDX-License-Identifier: MIT
//
// "phrase" matches none of the names the agent treats as secret (password, token, ...):
// only the spec's secret flag can keep it out of messages, logs and errors.
#include <vitals/plugin.hpp>

namespace {

const vitals_param_spec params[] = {
    {"phrase", VITALS_PARAM_STRING, 1, nullptr, "the secret, by declaration only", 1},
    {"refuse", VITALS_PARAM_BOOL, 0, "false", "if true, create() rejects phrase, quoting it", 0},
    {}};

class Secretive {
public:
    explicit Secretive(const vitals::Params &p) : phrase_(p.string("phrase")) {
        if (p.boolean("refuse")) p.reject("phrase", "will not use the phrase " + phrase_);
    }

    void run(vitals::Run &run) {
        run.log(VITALS_LOG_WARNING, "about to say the phrase " + phrase_);
        run.error("the phrase is " + phrase_);
    }

private:
    std::string phrase_;
};

} // namespace

VITALS_CPP_PLUGIN(Secretive, "secretive", "1.0.0", "test plugin that repeats a secret", params)
