/* Compiled as strict C99 with -Werror: proves plugin.h is C. SPDX-License-Identifier: MIT */
#include <vitals/plugin.h>

int vitals_c99_probe(const vitals_host_api *host);
int vitals_c99_probe(const vitals_host_api *host) {
    return VITALS_HOST_HAS(host, add_metric) ? VITALS_STATUS_OK : VITALS_STATUS_ERROR;
}
