/* WRONG: magic is GARRISON_PLUGIN_MAGIC byte-swapped (0x534E5247), everything else is right. */

#include "fixture_entry.h"

static int32_t wrong_magic_init(const garrison_host_api *api, garrison_host *host, void **state_out);

static const garrison_plugin_descriptor  wrong_magic_descriptor = {
    0x534E5247u,                       /* magic -- the mistake */
    (uint32_t) sizeof(garrison_plugin_descriptor), /* struct_size */
    GARRISON_ABI_MAJOR,                /* abi_major */
    GARRISON_ABI_MINOR,                /* abi_minor */
    0,                                 /* min_host_minor */
    0,                                 /* reserved0 */
    "bad-wrong-magic",                 /* name */
    "0.0.1",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    wrong_magic_init,                  /* plugin_init */
    NULL,                              /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};

FIXTURE_ENTRY_V1(&wrong_magic_descriptor)

FIXTURE_NOOP_INIT(wrong_magic_init)
