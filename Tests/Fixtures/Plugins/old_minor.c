/* CORRECT: built against the frozen ABI 1.0 header (Tests/Fixtures/abi-1.0); a 1.1 host must still load it. */

#include <garrison_plugin.h>

#if GARRISON_ABI_MINOR != 0
#error "old_minor.c must be built with -I../abi-1.0"
#endif

static int32_t old_minor_init(const garrison_host_api *api, garrison_host *host, void **state_out);
static int32_t old_minor_route(void *user, const garrison_request *req, garrison_call *call);

static const garrison_host_api  *old_minor_api;

static const garrison_plugin_descriptor  old_minor_descriptor = {
    GARRISON_DESCRIPTOR_INIT,          /* abi 1.0 */
    0,                                 /* min_host_minor */
    0,                                 /* reserved0 */
    "old-minor",                       /* name */
    "1.0.0",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    old_minor_init,                    /* plugin_init */
    NULL,                              /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};

GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor)
{
    (void) host_minor;
    return host_major == GARRISON_ABI_MAJOR ? &old_minor_descriptor : NULL;
}

static int32_t
old_minor_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    (void) state_out;
    old_minor_api = api;

    return api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/oldminor/"),
                               GARRISON_STR("can_list_agents"), old_minor_route, NULL, NULL, NULL);
}

static int32_t
old_minor_route(void *user, const garrison_request *req, garrison_call *call)
{
    (void) user;
    (void) req;

    old_minor_api->call_respond(call, 200, GARRISON_STR("application/json"),
                                GARRISON_STR("{\"abi\":\"1.0\"}"));
    return GARRISON_OK;
}
