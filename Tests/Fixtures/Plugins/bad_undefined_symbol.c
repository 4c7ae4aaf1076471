/* WRONG: calls an extern function nobody defines, so dlopen(RTLD_NOW) fails (built without -z defs). */

#include "fixture_entry.h"

extern int garrison_host_private_symbol(void);

static int32_t undefined_init(const garrison_host_api *api, garrison_host *host, void **state_out);

static const garrison_plugin_descriptor  undefined_descriptor = {
    GARRISON_DESCRIPTOR_INIT,
    0,                                 /* min_host_minor */
    0,                                 /* reserved0 */
    "bad-undefined-symbol",            /* name */
    "0.0.1",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    undefined_init,                    /* plugin_init */
    NULL,                              /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};

FIXTURE_ENTRY_V1(&undefined_descriptor)

static int32_t
undefined_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    (void) api;
    (void) host;
    (void) state_out;
    return garrison_host_private_symbol() == 0 ? GARRISON_OK : GARRISON_ERR_INTERNAL;
}
