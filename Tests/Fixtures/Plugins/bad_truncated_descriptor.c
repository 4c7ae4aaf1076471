/* WRONG: struct_size claims the descriptor ends before plugin_init (smaller than the 1.0 descriptor). */

#include "fixture_entry.h"

static int32_t truncated_init(const garrison_host_api *api, garrison_host *host, void **state_out);

static const garrison_plugin_descriptor  truncated_descriptor = {
    GARRISON_PLUGIN_MAGIC,             /* magic */
    (uint32_t) offsetof(garrison_plugin_descriptor, plugin_init), /* struct_size -- the mistake */
    GARRISON_ABI_MAJOR,                /* abi_major */
    GARRISON_ABI_MINOR,                /* abi_minor */
    0,                                 /* min_host_minor */
    0,                                 /* reserved0 */
    "bad-truncated-descriptor",        /* name */
    "0.0.1",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    truncated_init,                    /* plugin_init */
    NULL,                              /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};

FIXTURE_ENTRY_V1(&truncated_descriptor)

FIXTURE_NOOP_INIT(truncated_init)
