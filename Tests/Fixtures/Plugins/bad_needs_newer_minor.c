/* WRONG: min_host_minor is 99, so no 1.x host today is new enough. */

#include "fixture_entry.h"

static int32_t newer_minor_init(const garrison_host_api *api, garrison_host *host, void **state_out);

static const garrison_plugin_descriptor  newer_minor_descriptor = {
    GARRISON_DESCRIPTOR_INIT,
    99,                                /* min_host_minor -- the mistake */
    0,                                 /* reserved0 */
    "bad-needs-newer-minor",           /* name */
    "0.0.1",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    newer_minor_init,                  /* plugin_init */
    NULL,                              /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};

FIXTURE_ENTRY_V1(&newer_minor_descriptor)

FIXTURE_NOOP_INIT(newer_minor_init)
