/* WRONG (only together with good_minimal): a correct plugin that is also named "good-minimal"; the loader must refuse it before init. */

#include <garrison_plugin.h>

static int32_t dup_name_init(const garrison_host_api *api, garrison_host *host, void **state_out);
static int32_t dup_name_route(void *user, const garrison_request *req, garrison_call *call);

static const garrison_host_api  *dup_name_api;

static const garrison_plugin_descriptor  dup_name_descriptor = {
    GARRISON_DESCRIPTOR_INIT,
    0,                                 /* min_host_minor */
    0,                                 /* reserved0 */
    "good-minimal",                    /* name -- taken by good_minimal */
    "2.0.0",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    dup_name_init,                     /* plugin_init */
    NULL,                              /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};

GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor)
{
    (void) host_minor;
    return host_major == GARRISON_ABI_MAJOR ? &dup_name_descriptor : NULL;
}

static int32_t
dup_name_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    (void) state_out;
    dup_name_api = api;

    /* A route of its own, so that a wrongly loaded duplicate is visible: GET /dupname/. */
    return api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/dupname/"),
                               GARRISON_STR("can_list_agents"), dup_name_route, NULL, NULL, NULL);
}

static int32_t
dup_name_route(void *user, const garrison_request *req, garrison_call *call)
{
    (void) user;
    (void) req;

    dup_name_api->call_respond(call, 200, GARRISON_STR("application/json"),
                               GARRISON_STR("{\"dup\":true}"));
    return GARRISON_OK;
}
