/* CORRECT: a plugin that exercises every host service and records what the host answered, for the host's tests. */

#define _POSIX_C_SOURCE 200809L
#define _GNU_SOURCE

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <garrison_plugin.h>

/* Test probes, read with dlsym(): lifecycle counters and codes the host returned. */
GARRISON_EXPORT atomic_int  garrison_fixture_free_calls;
GARRISON_EXPORT atomic_int  garrison_fixture_free_after_shutdown;
GARRISON_EXPORT atomic_int  garrison_fixture_shutdown_calls;
GARRISON_EXPORT atomic_int  garrison_fixture_hang_done_status = 1;
GARRISON_EXPORT atomic_int  garrison_fixture_hang_respond_status = 1;
GARRISON_EXPORT atomic_int  garrison_fixture_events;
GARRISON_EXPORT atomic_int  garrison_fixture_late_respond_status = 1;
/* call_set_timeout (1.2) on /probe/late/?extend: the codes for 0 ms, one past the
 * maximum, and 2,000 ms, as three decimal digits of (code + 5). */
GARRISON_EXPORT atomic_int  garrison_fixture_set_timeout_codes = -1;

#define PROBE_INIT_CODES  13

typedef struct {
    garrison_call  *call;
    int32_t         cancel_rc;
    int             hang;
} probe_pending_t;

static int32_t probe_init(const garrison_host_api *api, garrison_host *host, void **state_out);
static void probe_shutdown(void *state);
static void probe_free(void *user);
static int *probe_marker(void);

static int32_t probe_sql(void *user, const garrison_request *req, garrison_call *call);
static int32_t probe_init_results(void *user, const garrison_request *req, garrison_call *call);
static int32_t probe_calls(void *user, const garrison_request *req, garrison_call *call);
static int32_t probe_hang(void *user, const garrison_request *req, garrison_call *call);
static int32_t probe_cancel(void *user, const garrison_request *req, garrison_call *call);
static int32_t probe_core(void *user, const garrison_request *req, garrison_call *call);
static int32_t probe_scoped(void *user, const garrison_request *req, garrison_call *call);
static int32_t probe_events(void *user, const garrison_request *req, garrison_call *call);
static int32_t probe_agent_route(void *user, const garrison_request *req, garrison_call *call);
static int32_t probe_fail(void *user, const garrison_request *req, garrison_call *call);
static int32_t probe_late(void *user, const garrison_request *req, garrison_call *call);
static void *probe_late_thread(void *arg);
static void probe_done(void *user, int32_t status, garrison_bytes data);
static void probe_event(void *user, garrison_bytes name, garrison_bytes json);
static int32_t probe_job(void *user, const garrison_job_run *run, garrison_job *job);
static void probe_agent_msg(void *user, garrison_bytes agent_id, garrison_bytes tag, garrison_bytes payload);
static int32_t probe_auth(void *user, const garrison_auth_query *q, garrison_auth_call *call);
static void probe_respond_status(garrison_call *call, int32_t status, garrison_bytes body);

static const garrison_host_api  *probe_api;
static garrison_host            *probe_host;
static int32_t                   probe_init_codes[PROBE_INIT_CODES];

static const garrison_plugin_descriptor  probe_descriptor = {
    GARRISON_DESCRIPTOR_INIT,
    1,                                 /* min_host_minor: uses audit, call_param, register_route_scoped */
    0,                                 /* reserved0 */
    "probe",                           /* name */
    "1.0.0",                           /* version */
    "fixture",                         /* build_info */
    0,                                 /* flags */
    probe_init,                        /* plugin_init */
    probe_shutdown,                    /* plugin_shutdown */
    GARRISON_DESCRIPTOR_RESERVED
};

GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor)
{
    (void) host_minor;
    return host_major == GARRISON_ABI_MAJOR ? &probe_descriptor : NULL;
}

#define PROBE_ROUTE(m, p, perm, fn)                                                \
    do {                                                                           \
        int *mk = probe_marker();                                                  \
        rc = api->register_route(host, GARRISON_STR(m), GARRISON_STR(p),           \
                                 GARRISON_STR(perm), fn, mk, probe_free, NULL);    \
        if (rc != GARRISON_OK) {                                                   \
            free(mk);                                                              \
            return rc;                                                             \
        }                                                                          \
    } while (0)

static int32_t
probe_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    int32_t  rc;
    int     *mk;

    (void) state_out;
    probe_api = api;
    probe_host = host;

    /* Codes the host must return during init, reported by GET /probe/init-results/. */
    probe_init_codes[0] = api->db_query(host, GARRISON_STR("SELECT 1"), GARRISON_STR("[]"), probe_done, NULL, NULL);
    probe_init_codes[1] = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/probe/bad/"),
                                              GARRISON_STR("no_such_permission"), probe_scoped, NULL, NULL, NULL);
    probe_init_codes[2] = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/probe/bad/"),
                                              GARRISON_STR("anonymous"), probe_scoped, NULL, NULL, NULL);
    probe_init_codes[3] = api->register_route(host, GARRISON_STR("BREW"), GARRISON_STR("/probe/bad/"),
                                              GARRISON_STR("authenticated"), probe_scoped, NULL, NULL, NULL);
    probe_init_codes[4] = api->event_subscribe(host, GARRISON_STR("a*b"), probe_event, NULL, NULL, NULL);
    probe_init_codes[5] = api->register_migration(host, 1, GARRISON_STR("CREATE TABLE items (id serial PRIMARY KEY, name text UNIQUE, n integer, ok boolean, doc jsonb)"));
    probe_init_codes[6] = api->register_migration(host, 1, GARRISON_STR("SELECT 1"));
    probe_init_codes[7] = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/core/version/"),
                                              GARRISON_STR("authenticated"), probe_scoped, NULL, NULL, NULL);
    probe_init_codes[8] = api->register_route_scoped(host, GARRISON_STR("GET"), GARRISON_STR("/probe/bad/"),
                                                     GARRISON_STR("authenticated"), GARRISON_STR("Bad Scope"),
                                                     probe_scoped, NULL, NULL, NULL);
    /* register_agent_member (1.3) refusals: a bad name, a member the host renders, no
     * placement, an unknown flag bit. */
    probe_init_codes[9] = api->register_agent_member(host, GARRISON_STR("Bad Name"), GARRISON_MEMBER_DETAIL,
                                                     probe_scoped, NULL, NULL, NULL);
    probe_init_codes[10] = api->register_agent_member(host, GARRISON_STR("hostname"), GARRISON_MEMBER_DETAIL,
                                                      probe_scoped, NULL, NULL, NULL);
    probe_init_codes[11] = api->register_agent_member(host, GARRISON_STR("probe_member"), GARRISON_MEMBER_WRITABLE,
                                                      probe_scoped, NULL, NULL, NULL);
    probe_init_codes[12] = api->register_agent_member(host, GARRISON_STR("probe_member"), GARRISON_MEMBER_DETAIL | 64u,
                                                      probe_scoped, NULL, NULL, NULL);

    PROBE_ROUTE("POST", "/probe/sql/", "authenticated", probe_sql);
    PROBE_ROUTE("GET", "/probe/init-results/", "authenticated", probe_init_results);
    PROBE_ROUTE("GET", "/probe/calls/<thing>/", "authenticated", probe_calls);
    PROBE_ROUTE("GET", "/probe/hang/", "authenticated", probe_hang);
    PROBE_ROUTE("GET", "/probe/cancel/", "authenticated", probe_cancel);
    PROBE_ROUTE("GET", "/probe/core/<kind>/<id>/", "authenticated", probe_core);
    PROBE_ROUTE("GET", "/probe/events/", "authenticated", probe_events);
    PROBE_ROUTE("GET", "/probe/perm/", "plugin:probe:read", probe_scoped);
    PROBE_ROUTE("GET", "/api/v3/probe/", "agent", probe_agent_route);
    PROBE_ROUTE("GET", "/probe/fail/<how>/", "authenticated", probe_fail);
    PROBE_ROUTE("GET", "/probe/late/", "authenticated", probe_late);

    mk = probe_marker();
    rc = api->register_route_scoped(host, GARRISON_STR("GET"), GARRISON_STR("/probe/scoped/"),
                                    GARRISON_STR("authenticated"), GARRISON_STR(" 2fa-enroll , other "),
                                    probe_scoped, mk, probe_free, NULL);
    if (rc != GARRISON_OK) {
        free(mk);
        return rc;
    }

    mk = probe_marker();
    rc = api->event_subscribe(host, GARRISON_STR("probe.*"), probe_event, mk, probe_free, NULL);
    if (rc != GARRISON_OK) {
        free(mk);
        return rc;
    }

    mk = probe_marker();
    rc = api->register_job_kind(host, GARRISON_STR("probe.report"), probe_job, mk, probe_free, NULL);
    if (rc != GARRISON_OK) {
        free(mk);
        return rc;
    }

    mk = probe_marker();
    rc = api->register_agent_handler(host, GARRISON_STR("probe-tag"), probe_agent_msg, mk, probe_free, NULL);
    if (rc != GARRISON_OK) {
        free(mk);
        return rc;
    }

    mk = probe_marker();
    rc = api->register_auth_hook(host, probe_auth, mk, probe_free, NULL);
    if (rc != GARRISON_OK) {
        free(mk);
        return rc;
    }

    return GARRISON_OK;
}

static void
probe_shutdown(void *state)
{
    (void) state;
    atomic_fetch_add(&garrison_fixture_shutdown_calls, 1);
}

static int *
probe_marker(void)
{
    int  *mk = malloc(sizeof(int));

    if (mk != NULL) {
        *mk = 7;
    }
    return mk;
}

static void
probe_free(void *user)
{
    free(user);
    atomic_fetch_add(&garrison_fixture_free_calls, 1);
    if (atomic_load(&garrison_fixture_shutdown_calls) > 0) {
        atomic_fetch_add(&garrison_fixture_free_after_shutdown, 1);
    }
}

/* Answers with the host's status code in X-Status and data as the body. */
static void
probe_respond_status(garrison_call *call, int32_t status, garrison_bytes body)
{
    char  code[16];

    snprintf(code, sizeof(code), "%d", (int) status);
    probe_api->call_set_header(call, GARRISON_STR("X-Status"), garrison_cstr(code));
    probe_api->call_respond(call, 200, GARRISON_STR("application/json"), body);
}

static void
probe_done(void *user, int32_t status, garrison_bytes data)
{
    int32_t           rc;
    probe_pending_t  *p = user;

    if (p == NULL) {
        return;
    }

    if (p->hang) {
        atomic_store(&garrison_fixture_hang_done_status, status);
        rc = probe_api->call_respond(p->call, 200, GARRISON_STR("text/plain"), data);
        atomic_store(&garrison_fixture_hang_respond_status, rc);
    } else {
        probe_respond_status(p->call, status, data);
    }

    free(p);
}

/* POST /probe/sql/: the body is one statement, X-Params an optional JSON array. */
static int32_t
probe_sql(void *user, const garrison_request *req, garrison_call *call)
{
    int32_t           rc;
    garrison_bytes    params;
    probe_pending_t  *p;

    (void) user;

    if (probe_api->call_header(call, GARRISON_STR("X-Params"), &params) != GARRISON_OK) {
        params = GARRISON_STR("[]");
    }

    p = calloc(1, sizeof(probe_pending_t));
    if (p == NULL) {
        return GARRISON_ERR_INTERNAL;
    }
    p->call = call;

    rc = probe_api->db_query(probe_host, req->body, params, probe_done, p, NULL);
    if (rc != GARRISON_OK) {
        free(p);
        probe_respond_status(call, rc, GARRISON_STR("\"refused\""));
        return GARRISON_OK;
    }

    return GARRISON_PENDING;
}

static int32_t
probe_init_results(void *user, const garrison_request *req, garrison_call *call)
{
    int     i, n;
    char    body[256];

    (void) user;
    (void) req;

    n = snprintf(body, sizeof(body), "[");
    for (i = 0; i < PROBE_INIT_CODES; i++) {
        n += snprintf(body + n, sizeof(body) - (size_t) n, "%s%d", i ? "," : "", (int) probe_init_codes[i]);
    }
    snprintf(body + n, sizeof(body) - (size_t) n, "]");

    probe_api->call_respond(call, 200, GARRISON_STR("application/json"), garrison_cstr(body));
    return GARRISON_OK;
}

/* GET /probe/calls/<thing>/: what host functions answer after init. */
static int32_t
probe_calls(void *user, const garrison_request *req, garrison_call *call)
{
    int32_t         c[16];
    char            body[512];
    garrison_bytes  v, thing;
    uint64_t        token = 99;

    (void) user;
    (void) req;

    c[0] = probe_api->register_route(probe_host, GARRISON_STR("GET"), GARRISON_STR("/probe/late/"),
                                     GARRISON_STR("authenticated"), probe_scoped, NULL, NULL, NULL);
    c[1] = probe_api->schedule_upsert(probe_host, GARRISON_STR("{\"id\":\"a\",\"kind\":\"probe.report\",\"every_s\":60}"),
                                      probe_done, NULL, &token);
    c[2] = probe_api->schedule_cancel(probe_host, GARRISON_STR("a"), probe_done, NULL, NULL);
    c[3] = probe_api->agent_request(probe_host, GARRISON_STR("agent-1"), GARRISON_STR("{\"func\":\"ping\"}"), 0,
                                    probe_done, NULL, NULL);
    c[4] = probe_api->agent_send(probe_host, GARRISON_STR("agent-1"), GARRISON_STR("{\"func\":\"ping\"}"));
    c[5] = probe_api->job_complete(NULL, GARRISON_OK, GARRISON_STR("{}"));
    c[6] = probe_api->event_publish(probe_host, GARRISON_STR("agent.online"), GARRISON_STR("{}"));
    c[7] = probe_api->event_publish(probe_host, GARRISON_STR("probe.ping"), GARRISON_STR("{\"n\":1}"));
    c[8] = probe_api->audit(probe_host, GARRISON_STR("{\"action\":\"probe.checked\",\"detail\":{\"n\":1}}"));
    c[9] = probe_api->cancel(probe_host, 0);
    c[10] = probe_api->call_param(call, GARRISON_STR("nope"), &v);
    c[11] = probe_api->call_set_header(call, GARRISON_STR("Content-Length"), GARRISON_STR("1"));
    c[12] = probe_api->event_publish(probe_host, GARRISON_STR("probe.bad"), GARRISON_STR("[1]"));
    c[13] = probe_api->agent_send(probe_host, GARRISON_STR(""), GARRISON_STR("{}"));
    c[14] = probe_api->audit(probe_host, GARRISON_STR("{\"detail\":1}"));
    c[15] = probe_api->call_header(call, GARRISON_STR("X-Test"), &v);

    if (probe_api->call_param(call, GARRISON_STR("thing"), &thing) != GARRISON_OK) {
        thing = GARRISON_STR("?");
    }

    snprintf(body, sizeof(body),
             "{\"late_register\":%d,\"schedule_upsert\":%d,\"schedule_cancel\":%d,\"agent_request\":%d,"
             "\"agent_send\":%d,\"job_complete\":%d,\"publish_reserved\":%d,\"publish_own\":%d,\"audit\":%d,"
             "\"cancel_zero\":%d,\"param_missing\":%d,\"set_reserved_header\":%d,\"publish_not_object\":%d,"
             "\"agent_send_empty\":%d,\"audit_no_action\":%d,\"header\":%d,\"token_after_error\":%llu,"
             "\"x_test\":\"%.*s\",\"thing\":\"%.*s\"}",
             c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15],
             (unsigned long long) token,
             c[15] == GARRISON_OK ? (int) v.len : 0, c[15] == GARRISON_OK ? (const char *) v.ptr : "",
             (int) thing.len, (const char *) thing.ptr);

    probe_api->call_respond(call, 200, GARRISON_STR("application/json"), garrison_cstr(body));
    return GARRISON_OK;
}

/* GET /probe/hang/: a query that outlives any drain deadline; done records what the host said. */
static int32_t
probe_hang(void *user, const garrison_request *req, garrison_call *call)
{
    int32_t           rc;
    probe_pending_t  *p;

    (void) user;
    (void) req;

    p = calloc(1, sizeof(probe_pending_t));
    if (p == NULL) {
        return GARRISON_ERR_INTERNAL;
    }
    p->call = call;
    p->hang = 1;

    rc = probe_api->db_query(probe_host, GARRISON_STR("SELECT pg_sleep(30)"), GARRISON_STR(""), probe_done, p, NULL);
    if (rc != GARRISON_OK) {
        free(p);
        return rc;
    }
    return GARRISON_PENDING;
}

/* GET /probe/cancel/: starts a slow query and cancels it at once; done answers. */
static int32_t
probe_cancel(void *user, const garrison_request *req, garrison_call *call)
{
    int32_t           rc;
    uint64_t          token = 0;
    probe_pending_t  *p;

    (void) user;
    (void) req;

    p = calloc(1, sizeof(probe_pending_t));
    if (p == NULL) {
        return GARRISON_ERR_INTERNAL;
    }
    p->call = call;

    rc = probe_api->db_query(probe_host, GARRISON_STR("SELECT pg_sleep(30)"), GARRISON_STR("[]"), probe_done, p, &token);
    if (rc != GARRISON_OK) {
        free(p);
        return rc;
    }

    /* p belongs to done now. A second cancel of the same token is harmless. */
    probe_api->cancel(probe_host, token);
    probe_api->cancel(probe_host, token);
    return GARRISON_PENDING;
}

static int32_t
probe_core(void *user, const garrison_request *req, garrison_call *call)
{
    int32_t           rc;
    garrison_bytes    kind, id;
    probe_pending_t  *p;

    (void) user;
    (void) req;

    if (probe_api->call_param(call, GARRISON_STR("kind"), &kind) != GARRISON_OK
        || probe_api->call_param(call, GARRISON_STR("id"), &id) != GARRISON_OK)
    {
        return GARRISON_ERR_INTERNAL;
    }

    p = calloc(1, sizeof(probe_pending_t));
    if (p == NULL) {
        return GARRISON_ERR_INTERNAL;
    }
    p->call = call;

    rc = probe_api->core_get(probe_host, kind, id, probe_done, p, NULL);
    if (rc != GARRISON_OK) {
        free(p);
        probe_respond_status(call, rc, GARRISON_STR("null"));
        return GARRISON_OK;
    }
    return GARRISON_PENDING;
}

static int32_t
probe_scoped(void *user, const garrison_request *req, garrison_call *call)
{
    (void) user;
    (void) req;

    probe_api->call_respond(call, 200, GARRISON_STR("application/json"), GARRISON_STR("{\"scoped\":true}"));
    return GARRISON_OK;
}

static int32_t
probe_agent_route(void *user, const garrison_request *req, garrison_call *call)
{
    (void) user;

    probe_api->call_respond(call, 200, GARRISON_STR("application/json"), req->principal_json);
    return GARRISON_OK;
}

/* GET /probe/fail/<how>/: "error" returns an error unanswered, "silent" returns OK unanswered,
 * "late" answers and then returns an error. */
static int32_t
probe_fail(void *user, const garrison_request *req, garrison_call *call)
{
    garrison_bytes  how;

    (void) user;
    (void) req;

    if (probe_api->call_param(call, GARRISON_STR("how"), &how) != GARRISON_OK) {
        return GARRISON_ERR_INTERNAL;
    }
    if (how.len == 6 && memcmp(how.ptr, "silent", 6) == 0) {
        return GARRISON_OK;
    }
    if (how.len == 4 && memcmp(how.ptr, "late", 4) == 0) {
        probe_api->call_respond(call, 201, GARRISON_STR("application/json"), GARRISON_STR("{\"late\":true}"));
    }
    return GARRISON_ERR_INVALID;
}

/* GET /probe/late/: answers from another thread after 600 ms; records what call_respond said.
 * With the query "extend" it first gives itself 2 s with call_set_timeout. */
static int32_t
probe_late(void *user, const garrison_request *req, garrison_call *call)
{
    pthread_t  tid;
    int32_t    zero, over, ok;

    (void) user;

    if (req->query.len == 6 && memcmp(req->query.ptr, "extend", 6) == 0) {
        zero = probe_api->call_set_timeout(call, 0);
        over = probe_api->call_set_timeout(call, GARRISON_CALL_TIMEOUT_MAX_MS + 1);
        ok = probe_api->call_set_timeout(call, 2000);
        atomic_store(&garrison_fixture_set_timeout_codes, (zero + 5) * 100 + (over + 5) * 10 + (ok + 5));
    }

    if (pthread_create(&tid, NULL, probe_late_thread, call) != 0) {
        return GARRISON_ERR_INTERNAL;
    }
    pthread_detach(tid);
    return GARRISON_PENDING;
}

static void *
probe_late_thread(void *arg)
{
    struct timespec  delay = { 0, 600 * 1000 * 1000 };

    nanosleep(&delay, NULL);
    atomic_store(&garrison_fixture_late_respond_status,
                 probe_api->call_respond(arg, 200, GARRISON_STR("application/json"), GARRISON_STR("{\"late\":true}")));
    return NULL;
}

static int32_t
probe_events(void *user, const garrison_request *req, garrison_call *call)
{
    char  body[48];

    (void) user;
    (void) req;

    snprintf(body, sizeof(body), "{\"events\":%d}", atomic_load(&garrison_fixture_events));
    probe_api->call_respond(call, 200, GARRISON_STR("application/json"), garrison_cstr(body));
    return GARRISON_OK;
}

static void
probe_event(void *user, garrison_bytes name, garrison_bytes json)
{
    (void) user;
    (void) name;
    (void) json;
    atomic_fetch_add(&garrison_fixture_events, 1);
}

static int32_t
probe_job(void *user, const garrison_job_run *run, garrison_job *job)
{
    (void) user;
    (void) run;
    return probe_api->job_complete(job, GARRISON_OK, GARRISON_STR("{}"));
}

static void
probe_agent_msg(void *user, garrison_bytes agent_id, garrison_bytes tag, garrison_bytes payload)
{
    (void) user;
    (void) agent_id;
    (void) tag;
    (void) payload;
}

static int
probe_user_is(const garrison_auth_query *q, const char *name)
{
    char    needle[96];

    snprintf(needle, sizeof(needle), "\"username\":\"%s\"", name);
    return q->user_json.ptr != NULL
           && memmem(q->user_json.ptr, q->user_json.len, needle, strlen(needle)) != NULL;
}

/* Verdicts by username: hooked-deny, hooked-challenge (code 123456 passes), hooked-limited,
 * hooked-slow (never answers), hooked-error (returns an error); anyone else: DEFER. */
static int32_t
probe_auth(void *user, const garrison_auth_query *q, garrison_auth_call *call)
{
    int  has_code;

    (void) user;

    if (probe_user_is(q, "hooked-deny")) {
        probe_api->auth_complete(call, GARRISON_AUTH_DENY, GARRISON_STR("{\"detail\":\"probe says no\"}"));
        return GARRISON_OK;
    }

    if (probe_user_is(q, "hooked-challenge")) {
        has_code = q->request_json.ptr != NULL
                   && memmem(q->request_json.ptr, q->request_json.len, "\"twofactor\":\"123456\"", 20) != NULL;
        if (q->stage == GARRISON_AUTH_STAGE_LOGIN && has_code) {
            probe_api->auth_complete(call, GARRISON_AUTH_ALLOW, GARRISON_STR("{}"));
        } else {
            probe_api->auth_complete(call, GARRISON_AUTH_CHALLENGE, GARRISON_STR("{\"totp\":true}"));
        }
        return GARRISON_OK;
    }

    if (probe_user_is(q, "hooked-limited")) {
        probe_api->auth_complete(call, GARRISON_AUTH_LIMITED, GARRISON_STR("{\"scope\":\"2fa-enroll\"}"));
        return GARRISON_OK;
    }

    if (probe_user_is(q, "hooked-slow")) {
        return GARRISON_PENDING;
    }

    if (probe_user_is(q, "hooked-error")) {
        return GARRISON_ERR_INTERNAL;
    }

    /* The password must never reach a hook. */
    if (q->request_json.ptr != NULL && memmem(q->request_json.ptr, q->request_json.len, "password", 8) != NULL) {
        probe_api->auth_complete(call, GARRISON_AUTH_DENY, GARRISON_STR("{\"detail\":\"saw a password\"}"));
        return GARRISON_OK;
    }

    probe_api->auth_complete(call, GARRISON_AUTH_DEFER, GARRISON_STR(""));
    return GARRISON_OK;
}
