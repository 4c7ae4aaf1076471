/*
 * hello-c -- a template for Garrison plugins written in C.
 *
 *   GET  /hello/         {"greeting":"<settings.greeting>","plugin":"hello-c","events":N}
 *   POST /hello/<name>/  stores <name> in its own table, answers {"stored":"<name>"}
 *
 * It reads a setting, registers a migration, answers one route synchronously
 * and one from a database completion (GARRISON_PENDING), and counts "agent.*"
 * events. Copy the directory, rename, and keep the order of this file:
 * includes, forward declarations, descriptor, bodies.
 */

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <garrison_plugin.h>
#include <garrison_json.h>        /* optional helper, not ABI */


#define HELLO_NAME_MAX     200
#define HELLO_LOG_MAX      512

#if defined(__VERSION__)
#define HELLO_BUILD_INFO   "cc " __VERSION__
#else
#define HELLO_BUILD_INFO   "cc"
#endif


/* Everything the plugin keeps; one per load, freed in hello_shutdown(). */
typedef struct {
    const garrison_host_api  *api;
    garrison_host            *host;
    char                     *greeting_json;   /* JSON-escaped, no quotes */
    atomic_uint_fast64_t      events;
} hello_state_t;

/* One pending POST, from the route function to the database completion. */
typedef struct {
    hello_state_t            *state;
    garrison_call            *call;
    char                     *name_json;       /* JSON-escaped, no quotes */
} hello_store_t;


static int32_t hello_init(const garrison_host_api *api, garrison_host *host,
    void **state_out);
static void hello_shutdown(void *state);

static int32_t hello_get(void *user, const garrison_request *req,
    garrison_call *call);
static int32_t hello_post(void *user, const garrison_request *req,
    garrison_call *call);
static void hello_stored(void *user, int32_t status, garrison_bytes data);
static void hello_event(void *user, garrison_bytes name, garrison_bytes json);

static int32_t hello_name_param(hello_state_t *st, const garrison_request *req,
    garrison_call *call, char **out);
static int32_t hello_respond_json(hello_state_t *st, garrison_call *call,
    int32_t http_status, const char *json);
static void hello_log(hello_state_t *st, int32_t level, const char *fmt, ...);


static const garrison_plugin_descriptor  hello_descriptor = {
    GARRISON_DESCRIPTOR_INIT,
    0,                                 /* min_host_minor: any 1.x host */
    0,                                 /* reserved0 */
    "hello-c",                         /* name */
    "0.1.0",                           /* version */
    HELLO_BUILD_INFO,                  /* build_info */
    0,                                 /* flags */
    hello_init,                        /* plugin_init */
    hello_shutdown,                    /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};


GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor)
{
    (void) host_minor;

    if (host_major != GARRISON_ABI_MAJOR) {
        return NULL;
    }

    return &hello_descriptor;
}


static int32_t
hello_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    int32_t         rc;
    char           *greeting;
    hello_state_t  *st;
    garrison_bytes  settings;

    st = calloc(1, sizeof(hello_state_t));
    if (st == NULL) {
        return GARRISON_ERR_INTERNAL;
    }

    st->api = api;
    st->host = host;
    atomic_init(&st->events, 0);

    settings = api->settings(host);
    greeting = garrison_json_string(settings.ptr, settings.len, "greeting");
    if (greeting == NULL) {
        hello_log(st, GARRISON_LOG_WARNING,
                  "no \"greeting\" string in [settings], using \"hello\"");
    }

    st->greeting_json = greeting
                        ? garrison_json_escape((const uint8_t *) greeting,
                                            strlen(greeting))
                        : garrison_json_escape((const uint8_t *) "hello", 5);
    free(greeting);

    if (st->greeting_json == NULL) {
        rc = GARRISON_ERR_INTERNAL;
        goto failed;
    }

    rc = api->register_migration(host, 1, GARRISON_STR(
             "CREATE TABLE greetings ("
             " id serial PRIMARY KEY,"
             " name text NOT NULL,"
             " at timestamptz DEFAULT now())"));
    if (rc != GARRISON_OK) {
        goto failed;
    }

    /*
     * st is shared by every registration and freed in hello_shutdown(),
     * which the host calls after the last callback, so no free_fn is needed.
     */

    rc = api->register_route(host, GARRISON_STR("GET"),
                             GARRISON_STR("/hello/"),
                             GARRISON_STR("can_view_core_settings"),
                             hello_get, st, NULL, NULL);
    if (rc != GARRISON_OK) {
        goto failed;
    }

    rc = api->register_route(host, GARRISON_STR("POST"),
                             GARRISON_STR("/hello/<name>/"),
                             GARRISON_STR("can_edit_core_settings"),
                             hello_post, st, NULL, NULL);
    if (rc != GARRISON_OK) {
        goto failed;
    }

    rc = api->event_subscribe(host, GARRISON_STR("agent.*"), hello_event, st,
                              NULL, NULL);
    if (rc != GARRISON_OK) {
        goto failed;
    }

    *state_out = st;
    return GARRISON_OK;

failed:

    /* The host drops our registrations; plugin_shutdown() will not run. */
    hello_log(st, GARRISON_LOG_ERROR, "init failed: %d", (int) rc);
    free(st->greeting_json);
    free(st);
    return rc;
}


static void
hello_shutdown(void *state)
{
    hello_state_t  *st = state;

    free(st->greeting_json);
    free(st);
}


static int32_t
hello_get(void *user, const garrison_request *req, garrison_call *call)
{
    int             n;
    char           *body;
    size_t          size;
    hello_state_t  *st = user;

    (void) req;

    size = strlen(st->greeting_json) + 96;
    body = malloc(size);
    if (body == NULL) {
        return GARRISON_ERR_INTERNAL;
    }

    n = snprintf(body, size,
                 "{\"greeting\":\"%s\",\"plugin\":\"hello-c\",\"events\":%llu}",
                 st->greeting_json,
                 (unsigned long long) atomic_load(&st->events));
    if (n < 0 || (size_t) n >= size) {
        free(body);
        return GARRISON_ERR_INTERNAL;
    }

    (void) hello_respond_json(st, call, 200, body);
    free(body);                        /* the host copied it */

    return GARRISON_OK;
}


static int32_t
hello_post(void *user, const garrison_request *req, garrison_call *call)
{
    int             n;
    int32_t         rc;
    char           *name, *params;
    size_t          size;
    hello_store_t  *ctx;
    hello_state_t  *st = user;

    rc = hello_name_param(st, req, call, &name);

    if (rc == GARRISON_ERR_INVALID
        || (rc == GARRISON_OK && strlen(name) > HELLO_NAME_MAX))
    {
        free(name);
        (void) hello_respond_json(st, call, 400,
                   "{\"detail\":\"name must be text of 1 to 200 bytes\"}");
        return GARRISON_OK;
    }

    if (rc != GARRISON_OK) {
        return rc;
    }

    ctx = calloc(1, sizeof(hello_store_t));
    if (ctx == NULL) {
        free(name);
        return GARRISON_ERR_INTERNAL;
    }

    ctx->state = st;
    ctx->call = call;
    ctx->name_json = garrison_json_escape((const uint8_t *) name, strlen(name));
    free(name);

    if (ctx->name_json == NULL) {
        free(ctx);
        return GARRISON_ERR_INTERNAL;
    }

    size = strlen(ctx->name_json) + 5;
    params = malloc(size);
    if (params == NULL) {
        goto failed;
    }

    n = snprintf(params, size, "[\"%s\"]", ctx->name_json);
    if (n < 0 || (size_t) n >= size) {
        free(params);
        goto failed;
    }

    rc = st->api->db_query(st->host,
                           GARRISON_STR("INSERT INTO greetings (name)"
                                        " VALUES ($1)"),
                           garrison_cstr(params), hello_stored, ctx, NULL);
    free(params);                      /* the host copied it */

    if (rc != GARRISON_OK) {
        /* done will not run: ctx is still ours. */
        hello_log(st, GARRISON_LOG_WARNING, "db_query refused: %d", (int) rc);
        free(ctx->name_json);
        free(ctx);
        (void) hello_respond_json(st, call, 503,
                           "{\"detail\":\"could not store the greeting\"}");
        return GARRISON_OK;
    }

    /* hello_stored() owns ctx now and may already have run: don't touch it. */
    return GARRISON_PENDING;

failed:

    free(ctx->name_json);
    free(ctx);
    return GARRISON_ERR_INTERNAL;
}


static void
hello_stored(void *user, int32_t status, garrison_bytes data)
{
    int             n;
    char           *body;
    size_t          size;
    hello_store_t  *ctx = user;
    hello_state_t  *st = ctx->state;

    if (status != GARRISON_OK) {
        /* data may hold SQL details: log it, never send it to the client. */
        hello_log(st, GARRISON_LOG_WARNING, "insert failed: %d %.*s",
                  (int) status, (int) (data.len > 200 ? 200 : data.len),
                  data.ptr ? (const char *) data.ptr : "");
        (void) hello_respond_json(st, ctx->call, 503,
                   "{\"detail\":\"could not store the greeting\"}");
        goto done;
    }

    size = strlen(ctx->name_json) + 16;
    body = malloc(size);
    n = (body != NULL)
        ? snprintf(body, size, "{\"stored\":\"%s\"}", ctx->name_json)
        : -1;

    if (n < 0 || (size_t) n >= size) {
        (void) hello_respond_json(st, ctx->call, 500,
                                  "{\"detail\":\"internal error\"}");
    } else {
        (void) hello_respond_json(st, ctx->call, 200, body);
    }

    free(body);                        /* the host copied it */

done:

    free(ctx->name_json);
    free(ctx);
}


static void
hello_event(void *user, garrison_bytes name, garrison_bytes json)
{
    hello_state_t  *st = user;

    (void) name;
    (void) json;

    atomic_fetch_add(&st->events, 1);
}


/*
 * The <name> path parameter as a NUL-terminated string in *out (caller frees),
 * or GARRISON_ERR_INVALID if it is empty or holds a NUL byte.
 * Uses call_param on 1.1 hosts and parses params_json on 1.0 hosts, which is
 * why min_host_minor can stay 0.
 */
static int32_t
hello_name_param(hello_state_t *st, const garrison_request *req,
    garrison_call *call, char **out)
{
    int32_t         rc;
    garrison_bytes  value;

    *out = NULL;

    if (GARRISON_HAS(st->api, call_param)) {
        rc = st->api->call_param(call, GARRISON_STR("name"), &value);
        if (rc != GARRISON_OK) {
            return rc;
        }

        if (value.len == 0 || memchr(value.ptr, '\0', value.len) != NULL) {
            return GARRISON_ERR_INVALID;
        }

        *out = malloc(value.len + 1);
        if (*out == NULL) {
            return GARRISON_ERR_INTERNAL;
        }

        memcpy(*out, value.ptr, value.len);
        (*out)[value.len] = '\0';
        return GARRISON_OK;
    }

    /* NULL when missing, malformed, or holding \u0000. */
    *out = garrison_json_string(req->params_json.ptr, req->params_json.len,
                                "name");

    return (*out != NULL && (*out)[0] != '\0') ? GARRISON_OK
                                                 : GARRISON_ERR_INVALID;
}


static int32_t
hello_respond_json(hello_state_t *st, garrison_call *call, int32_t http_status,
    const char *json)
{
    int32_t  rc;

    rc = st->api->call_respond(call, http_status,
                               GARRISON_STR("application/json"),
                               garrison_cstr(json));
    if (rc != GARRISON_OK) {
        hello_log(st, GARRISON_LOG_NOTICE, "response %d dropped: %d",
                  (int) http_status, (int) rc);
    }

    return rc;
}


static void
hello_log(hello_state_t *st, int32_t level, const char *fmt, ...)
{
    int      n;
    char     line[HELLO_LOG_MAX];
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(line, sizeof(line), fmt, args);
    va_end(args);

    if (n < 0) {
        return;
    }

    st->api->log(st->host, level, garrison_cstr(line));
}
