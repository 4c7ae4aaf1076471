/* WRONG: min_host_minor is 99, so no 1.x host today is new enough. */

#include <garrison_plugin.h>

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

GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor)
{
    (void) host_major;
    (void) host_minor;
    return &newer_minor_descriptor;
}

static int32_t
newer_minor_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    (void) api;
    (void) host;
    (void) state_out;
    return GARRISON_OK;
}
