/* WRONG: exports no garrison_plugin_entry_v1 -- the entry is misspelled (no _v1). */

#include <garrison_plugin.h>

static int32_t no_entry_init(const garrison_host_api *api, garrison_host *host, void **state_out);

static const garrison_plugin_descriptor  no_entry_descriptor = {
    GARRISON_DESCRIPTOR_INIT,
    0,                                 /* min_host_minor */
    0,                                 /* reserved0 */
    "bad-no-entry",                    /* name */
    "0.0.1",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    no_entry_init,                     /* plugin_init */
    NULL,                              /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};

GARRISON_EXPORT const garrison_plugin_descriptor *garrison_plugin_entry(uint16_t host_major, uint16_t host_minor);

GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry(uint16_t host_major, uint16_t host_minor)
{
    (void) host_major;
    (void) host_minor;
    return &no_entry_descriptor;
}

static int32_t
no_entry_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    (void) api;
    (void) host;
    (void) state_out;
    return GARRISON_OK;
}
