/* Test library whose constructor crashes the process that loads it, in a plugin
 * directory: the agent must never load it, since no check names it (a mistyped plugin
 * name once loaded every .so in the plugin directories). SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stddef.h>

#include <vitals/plugin.h>

__attribute__((constructor)) static void crash_on_load(void) {
    raise(SIGSEGV);
}

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return NULL; /* never reached */
}
