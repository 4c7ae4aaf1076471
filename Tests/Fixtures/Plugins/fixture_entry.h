/* The boilerplate every loader fixture shares, so that each bad_*.c shows only its one
 * mistake. Not part of the plugin ABI: plugins write these two functions themselves
 * (Plugins/Examples/hello-c). */
#ifndef GARRISON_FIXTURE_ENTRY_H
#define GARRISON_FIXTURE_ENTRY_H

#include <garrison_plugin.h>

/* The exported entry, handing out `descriptor` to any host. */
#define FIXTURE_ENTRY_V1(descriptor)                                         \
    GARRISON_EXPORT const garrison_plugin_descriptor *                       \
    garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor)       \
    {                                                                        \
        (void) host_major;                                                   \
        (void) host_minor;                                                   \
        return (descriptor);                                                 \
    }

/* A plugin_init that registers nothing and succeeds. */
#define FIXTURE_NOOP_INIT(name)                                              \
    static int32_t                                                           \
    name(const garrison_host_api *api, garrison_host *host, void **state_out) \
    {                                                                        \
        (void) api;                                                          \
        (void) host;                                                         \
        (void) state_out;                                                    \
        return GARRISON_OK;                                                  \
    }

#endif
