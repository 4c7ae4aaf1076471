/* WRONG: abi_major is 2, yet it is exported under the v1 entry name, so only the field gives it away. */

#include "fixture_entry.h"

static int32_t major2_init(const garrison_host_api *api, garrison_host *host, void **state_out);

static const garrison_plugin_descriptor  major2_descriptor = {
    GARRISON_PLUGIN_MAGIC,             /* magic */
    (uint32_t) sizeof(garrison_plugin_descriptor), /* struct_size */
    2,                                 /* abi_major -- the mistake */
    0,                                 /* abi_minor */
    0,                                 /* min_host_minor */
    0,                                 /* reserved0 */
    "bad-major2",                      /* name */
    "0.0.1",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    major2_init,                       /* plugin_init */
    NULL,                              /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};

FIXTURE_ENTRY_V1(&major2_descriptor)

FIXTURE_NOOP_INIT(major2_init)
