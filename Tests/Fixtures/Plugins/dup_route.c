/* WRONG (only together with good_minimal): registers GET /minimal/ again; gets GARRISON_ERR_CONFLICT and returns it from init. */

#include <garrison_plugin.h>

static int32_t dup_route_init(const garrison_host_api *api, garrison_host *host, void **state_out);
static int32_t dup_route_route(void *user, const garrison_request *req, garrison_call *call);

static const garrison_host_api  *dup_route_api;

static const garrison_plugin_descriptor  dup_route_descriptor = {
    GARRISON_DESCRIPTOR_INIT,
    0,                                 /* min_host_minor */
    0,                                 /* reserved0 */
    "dup-route",                       /* name */
    "0.0.1",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    dup_route_init,                    /* plugin_init */
    NULL,                              /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};

GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor)
{
    (void) host_minor;
    return host_major == GARRISON_ABI_MAJOR ? &dup_route_descriptor : NULL;
}

static int32_t
dup_route_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    int32_t  rc;

    (void) state_out;
    dup_route_api = api;

    rc = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/minimal/"),
                             GARRISON_STR("can_list_agents"), dup_route_route, NULL, NULL, NULL);
    if (rc != GARRISON_OK) {
        api->log(host, GARRISON_LOG_ERROR,
                 rc == GARRISON_ERR_CONFLICT
                 ? GARRISON_STR("GET /minimal/ is taken (GARRISON_ERR_CONFLICT)")
                 : GARRISON_STR("GET /minimal/ refused with an unexpected code"));
        return rc;
    }

    return GARRISON_OK;
}

static int32_t
dup_route_route(void *user, const garrison_request *req, garrison_call *call)
{
    (void) user;
    (void) req;

    dup_route_api->call_respond(call, 200, GARRISON_STR("application/json"),
                                GARRISON_STR("{\"dup_route\":true}"));
    return GARRISON_OK;
}
