/* WRONG: plugin_init registers GET /badinit/ and then fails with GARRISON_ERR_INTERNAL; the host must drop the route and call its free_fn. */

#include <stdatomic.h>
#include <stdlib.h>

#include "fixture_entry.h"

/* Test probe: how many times the host called init_fails_free(). Read it with dlsym(). */
GARRISON_EXPORT atomic_int  garrison_fixture_free_calls;

static int32_t init_fails_init(const garrison_host_api *api, garrison_host *host, void **state_out);
static void init_fails_shutdown(void *state);
static int32_t init_fails_route(void *user, const garrison_request *req, garrison_call *call);
static void init_fails_free(void *user);

static const garrison_plugin_descriptor  init_fails_descriptor = {
    GARRISON_DESCRIPTOR_INIT,
    0,                                 /* min_host_minor */
    0,                                 /* reserved0 */
    "bad-init-fails",                  /* name */
    "0.0.1",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    init_fails_init,                   /* plugin_init */
    init_fails_shutdown,               /* plugin_shutdown: must never run */
    GARRISON_DESCRIPTOR_RESERVED
};

FIXTURE_ENTRY_V1(&init_fails_descriptor)

static int32_t
init_fails_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    int32_t   rc;
    int      *marker;

    (void) state_out;

    marker = malloc(sizeof(int));
    if (marker == NULL) {
        return GARRISON_ERR_INTERNAL;
    }
    *marker = 42;

    rc = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/badinit/"),
                             GARRISON_STR("can_list_agents"), init_fails_route,
                             marker, init_fails_free, NULL);
    if (rc != GARRISON_OK) {
        free(marker);                  /* not registered: still ours */
        return rc;
    }

    api->log(host, GARRISON_LOG_ERROR, GARRISON_STR("failing init on purpose"));
    return GARRISON_ERR_INTERNAL;
}

static void
init_fails_shutdown(void *state)
{
    (void) state;
    abort();                           /* plugin_shutdown after a failed init is a host bug */
}

static int32_t
init_fails_route(void *user, const garrison_request *req, garrison_call *call)
{
    (void) user;
    (void) req;
    (void) call;
    return GARRISON_ERR_INTERNAL;      /* never routed: init failed */
}

static void
init_fails_free(void *user)
{
    free(user);
    atomic_fetch_add(&garrison_fixture_free_calls, 1);
}
