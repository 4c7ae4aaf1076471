/* CORRECT: the smallest well-behaved plugin, plus routes that probe the host's call handling. */

#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <garrison_plugin.h>

#define MINIMAL_NOT_RUN  1             /* twice_status before /minimal/twice/ ran */

typedef struct {
    const garrison_host_api  *api;
    garrison_call            *call;
} minimal_async_t;

static int32_t minimal_init(const garrison_host_api *api, garrison_host *host, void **state_out);
static int32_t minimal_ok(void *user, const garrison_request *req, garrison_call *call);
static int32_t minimal_twice(void *user, const garrison_request *req, garrison_call *call);
static int32_t minimal_twice_result(void *user, const garrison_request *req, garrison_call *call);
static int32_t minimal_never(void *user, const garrison_request *req, garrison_call *call);
static int32_t minimal_async(void *user, const garrison_request *req, garrison_call *call);
static void *minimal_async_thread(void *arg);

static const garrison_host_api  *minimal_api;
static garrison_host            *minimal_host;
static atomic_int                minimal_twice_status = MINIMAL_NOT_RUN;

static const garrison_plugin_descriptor  minimal_descriptor = {
    GARRISON_DESCRIPTOR_INIT,
    0,                                 /* min_host_minor */
    0,                                 /* reserved0 */
    "good-minimal",                    /* name */
    "1.0.0",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    minimal_init,                      /* plugin_init */
    NULL,                              /* plugin_shutdown: no state */
    GARRISON_DESCRIPTOR_RESERVED
};

GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor)
{
    (void) host_minor;
    return host_major == GARRISON_ABI_MAJOR ? &minimal_descriptor : NULL;
}

static int32_t
minimal_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    int32_t  rc;

    (void) state_out;
    minimal_api = api;
    minimal_host = host;

    /* GET /minimal/              -> 200 {"ok":true}
     * GET /minimal/twice/        -> 200 {"ok":true}, then a second call_respond
     * GET /minimal/twice/result/ -> 200 {"second_status":N}: what that second call returned
     *                               (-2 = GARRISON_ERR_PHASE; null before /twice/ ran)
     * GET /minimal/never/        -> GARRISON_PENDING, never answered
     * GET /minimal/async/        -> 200 {"async":true} from another thread after 10 ms */

    rc = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/minimal/"),
                             GARRISON_STR("can_list_agents"), minimal_ok, NULL, NULL, NULL);
    if (rc != GARRISON_OK) {
        return rc;
    }

    rc = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/minimal/twice/"),
                             GARRISON_STR("can_list_agents"), minimal_twice, NULL, NULL, NULL);
    if (rc != GARRISON_OK) {
        return rc;
    }

    rc = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/minimal/twice/result/"),
                             GARRISON_STR("can_list_agents"), minimal_twice_result, NULL, NULL, NULL);
    if (rc != GARRISON_OK) {
        return rc;
    }

    rc = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/minimal/never/"),
                             GARRISON_STR("can_list_agents"), minimal_never, NULL, NULL, NULL);
    if (rc != GARRISON_OK) {
        return rc;
    }

    return api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/minimal/async/"),
                               GARRISON_STR("can_list_agents"), minimal_async, NULL, NULL, NULL);
}

static int32_t
minimal_ok(void *user, const garrison_request *req, garrison_call *call)
{
    (void) user;
    (void) req;

    minimal_api->call_respond(call, 200, GARRISON_STR("application/json"),
                              GARRISON_STR("{\"ok\":true}"));
    return GARRISON_OK;
}

static int32_t
minimal_twice(void *user, const garrison_request *req, garrison_call *call)
{
    int32_t  rc;

    (void) user;
    (void) req;

    minimal_api->call_respond(call, 200, GARRISON_STR("application/json"),
                              GARRISON_STR("{\"ok\":true}"));

    rc = minimal_api->call_respond(call, 500, GARRISON_STR("application/json"),
                                   GARRISON_STR("{\"ok\":false}"));
    atomic_store(&minimal_twice_status, rc);

    if (rc != GARRISON_ERR_PHASE) {
        minimal_api->log(minimal_host, GARRISON_LOG_ERROR, GARRISON_STR("second call_respond was not refused"));
    }

    return GARRISON_OK;
}

static int32_t
minimal_twice_result(void *user, const garrison_request *req, garrison_call *call)
{
    int   status;
    char  body[48];

    (void) user;
    (void) req;

    status = atomic_load(&minimal_twice_status);
    if (status == MINIMAL_NOT_RUN) {
        snprintf(body, sizeof(body), "{\"second_status\":null}");
    } else {
        snprintf(body, sizeof(body), "{\"second_status\":%d}", status);
    }

    minimal_api->call_respond(call, 200, GARRISON_STR("application/json"), garrison_cstr(body));
    return GARRISON_OK;
}

static int32_t
minimal_never(void *user, const garrison_request *req, garrison_call *call)
{
    (void) user;
    (void) req;
    (void) call;
    return GARRISON_PENDING;           /* and never answers: the host must time out */
}

static int32_t
minimal_async(void *user, const garrison_request *req, garrison_call *call)
{
    pthread_t         tid;
    minimal_async_t  *ctx;

    (void) user;
    (void) req;

    ctx = malloc(sizeof(minimal_async_t));
    if (ctx == NULL) {
        return GARRISON_ERR_INTERNAL;
    }

    ctx->api = minimal_api;
    ctx->call = call;

    if (pthread_create(&tid, NULL, minimal_async_thread, ctx) != 0) {
        free(ctx);
        return GARRISON_ERR_INTERNAL;  /* the host answers 500 */
    }

    pthread_detach(tid);
    return GARRISON_PENDING;
}

static void *
minimal_async_thread(void *arg)
{
    minimal_async_t  *ctx = arg;
    struct timespec   delay = { 0, 10 * 1000 * 1000 };

    nanosleep(&delay, NULL);

    ctx->api->call_respond(ctx->call, 200, GARRISON_STR("application/json"),
                           GARRISON_STR("{\"async\":true}"));
    free(ctx);
    return NULL;
}
