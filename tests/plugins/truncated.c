/* Test plugin whose descriptor claims to be smaller than ABI 1.0's: refused.
 * SPDX-License-Identifier: MIT */
#include <vitals/plugin.h>

static const vitals_plugin descriptor = {
    VITALS_ABI_MAJOR, 0, 12, "truncated", "1.0", "", 0, 0, 0, 0, 0};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
