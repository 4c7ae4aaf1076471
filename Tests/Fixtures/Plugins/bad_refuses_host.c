/* WRONG: the entry returns NULL for every host, refusing to load. */

#include <garrison_plugin.h>

GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor)
{
    (void) host_major;
    (void) host_minor;
    return NULL;
}
