/* CORRECT: reaches agents through the ABI alone -- agent_request, agent_send and an agent
 * reply-tag handler -- so the tests can drive them over HTTP.
 *
 *   POST /relay/request/  body "<agent_id>\n<command json>" -> 200 {"status":N,"data":<json or null>}
 *   POST /relay/send/     same body                       -> 200 {"rc":N}
 *   GET  /relay/seen/     -> 200 {"count":N,"agent":"..","last":<json>} for tag "relay-report"
 *   GET  /relay/whoami/   -> 200 the caller's principal_json, as the host passed it */

#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <garrison_plugin.h>

static int32_t relay_init(const garrison_host_api *api, garrison_host *host, void **state_out);
static int32_t relay_request(void *user, const garrison_request *req, garrison_call *call);
static int32_t relay_send(void *user, const garrison_request *req, garrison_call *call);
static int32_t relay_seen(void *user, const garrison_request *req, garrison_call *call);
static int32_t relay_whoami(void *user, const garrison_request *req, garrison_call *call);
static void relay_done(void *user, int32_t status, garrison_bytes data);
static void relay_message(void *user, garrison_bytes agent_id, garrison_bytes tag, garrison_bytes payload);
static int relay_split(const garrison_request *req, garrison_bytes *agent_id, garrison_bytes *command);

static garrison_bytes
relay_text(const char *text)
{
    return (garrison_bytes) { (const uint8_t *) text, strlen(text) };
}

static const garrison_host_api  *relay_api;
static garrison_host            *relay_host;

/* The last message seen on the tag; guarded by relay_lock (handlers run concurrently). */
static pthread_mutex_t  relay_lock = PTHREAD_MUTEX_INITIALIZER;
static int              relay_count;
static char             relay_agent[64];
static char             relay_last[4096] = "null";

static const garrison_plugin_descriptor  relay_descriptor = {
    GARRISON_DESCRIPTOR_INIT,
    0, 0, "agent-relay", "1.0.0", "fixture", 0,
    relay_init,
    NULL,
    GARRISON_DESCRIPTOR_RESERVED
};

GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor)
{
    (void) host_minor;
    return host_major == GARRISON_ABI_MAJOR ? &relay_descriptor : NULL;
}

static int32_t
relay_init(const garrison_host_api *api, garrison_host *host, void **state_out)
{
    int32_t  rc;

    (void) state_out;
    relay_api = api;
    relay_host = host;

    rc = api->register_route(host, GARRISON_STR("POST"), GARRISON_STR("/relay/request/"),
                             GARRISON_STR("can_send_cmd"), relay_request, NULL, NULL, NULL);
    if (rc == GARRISON_OK) {
        rc = api->register_route(host, GARRISON_STR("POST"), GARRISON_STR("/relay/send/"),
                                 GARRISON_STR("can_send_cmd"), relay_send, NULL, NULL, NULL);
    }
    if (rc == GARRISON_OK) {
        rc = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/relay/seen/"),
                                 GARRISON_STR("can_list_agents"), relay_seen, NULL, NULL, NULL);
    }
    if (rc == GARRISON_OK) {
        rc = api->register_route(host, GARRISON_STR("GET"), GARRISON_STR("/relay/whoami/"),
                                 GARRISON_STR("authenticated"), relay_whoami, NULL, NULL, NULL);
    }
    if (rc == GARRISON_OK) {
        rc = api->register_agent_handler(host, GARRISON_STR("relay-report"), relay_message, NULL, NULL, NULL);
    }
    return rc;
}

static int
relay_split(const garrison_request *req, garrison_bytes *agent_id, garrison_bytes *command)
{
    const uint8_t  *newline = memchr(req->body.ptr, '\n', req->body.len);

    if (newline == NULL) {
        return -1;
    }
    agent_id->ptr = req->body.ptr;
    agent_id->len = (size_t) (newline - req->body.ptr);
    command->ptr = newline + 1;
    command->len = req->body.len - agent_id->len - 1;
    return 0;
}

static int32_t
relay_request(void *user, const garrison_request *req, garrison_call *call)
{
    garrison_bytes  agent_id, command;
    int32_t         rc;
    char            body[64];

    (void) user;
    if (relay_split(req, &agent_id, &command) != 0) {
        relay_api->call_respond(call, 400, GARRISON_STR("application/json"), GARRISON_STR("{\"detail\":\"no newline\"}"));
        return GARRISON_OK;
    }
    rc = relay_api->agent_request(relay_host, agent_id, command, 3000, relay_done, call, NULL);
    if (rc != GARRISON_OK) {
        snprintf(body, sizeof(body), "{\"status\":%d,\"data\":null,\"started\":false}", (int) rc);
        relay_api->call_respond(call, 200, GARRISON_STR("application/json"),
                                relay_text(body));
        return GARRISON_OK;
    }
    return GARRISON_PENDING;
}

static void
relay_done(void *user, int32_t status, garrison_bytes data)
{
    garrison_call  *call = user;
    size_t          size = data.len + 64;
    char           *body = malloc(size);
    int             n;

    if (body == NULL) {
        return;
    }
    if (status == GARRISON_OK) {
        n = snprintf(body, size, "{\"status\":0,\"data\":%.*s}", (int) data.len, data.ptr);
    } else {
        n = snprintf(body, size, "{\"status\":%d,\"data\":null}", (int) status);
    }
    relay_api->call_respond(call, 200, GARRISON_STR("application/json"), (garrison_bytes) { (const uint8_t *) body, (size_t) n });
    free(body);
}

static int32_t
relay_send(void *user, const garrison_request *req, garrison_call *call)
{
    garrison_bytes  agent_id, command;
    char            body[32];

    (void) user;
    if (relay_split(req, &agent_id, &command) != 0) {
        relay_api->call_respond(call, 400, GARRISON_STR("application/json"), GARRISON_STR("{\"detail\":\"no newline\"}"));
        return GARRISON_OK;
    }
    snprintf(body, sizeof(body), "{\"rc\":%d}", (int) relay_api->agent_send(relay_host, agent_id, command));
    relay_api->call_respond(call, 200, GARRISON_STR("application/json"), relay_text(body));
    return GARRISON_OK;
}

static void
relay_message(void *user, garrison_bytes agent_id, garrison_bytes tag, garrison_bytes payload)
{
    (void) user;
    (void) tag;
    pthread_mutex_lock(&relay_lock);
    relay_count++;
    snprintf(relay_agent, sizeof(relay_agent), "%.*s", (int) agent_id.len, agent_id.ptr);
    if (payload.len < sizeof(relay_last)) {
        memcpy(relay_last, payload.ptr, payload.len);
        relay_last[payload.len] = '\0';
    }
    pthread_mutex_unlock(&relay_lock);
}

static int32_t
relay_seen(void *user, const garrison_request *req, garrison_call *call)
{
    char  body[4300];

    (void) user;
    (void) req;
    pthread_mutex_lock(&relay_lock);
    snprintf(body, sizeof(body), "{\"count\":%d,\"agent\":\"%s\",\"last\":%s}", relay_count, relay_agent, relay_last);
    pthread_mutex_unlock(&relay_lock);
    relay_api->call_respond(call, 200, GARRISON_STR("application/json"), relay_text(body));
    return GARRISON_OK;
}

static int32_t
relay_whoami(void *user, const garrison_request *req, garrison_call *call)
{
    (void) user;
    relay_api->call_respond(call, 200, GARRISON_STR("application/json"), req->principal_json);
    return GARRISON_OK;
}
