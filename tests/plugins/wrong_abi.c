/* Test plugin claiming a future ABI major: the host must refuse it. SPDX-License-Identifier: MIT */
#include <vitals/plugin.h>

static const vitals_plugin descriptor = {
    2, 0, sizeof(vitals_plugin), "wrong_abi", "1.0", "", 0, 0, 0, 0, 0};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
