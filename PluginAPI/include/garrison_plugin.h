/*
 * garrison_plugin.h -- the C ABI between the Garrison host and its plugins.
 *
 * This is the only file a plugin author needs. It is plain C11 and includes
 * nothing but <stdint.h>, <stddef.h> and <stdbool.h>, so plugins can be
 * written in C, C++, Swift (@_cdecl), Rust, Zig or anything else that can
 * export a C function.
 *
 * A plugin is a shared library that exports exactly one symbol,
 * garrison_plugin_entry_v1(). The entry returns a static descriptor; the host
 * checks it and then calls the descriptor's plugin_init() with a table of host
 * functions (garrison_host_api). Everything the plugin offers -- routes, jobs,
 * event subscriptions, agent-message handlers, auth hooks, migrations -- is
 * registered through that table during plugin_init().
 *
 *
 * ===========================================================================
 *  LIFECYCLE
 * ===========================================================================
 *
 * 1. Load checks. For each enabled file in plugins.d the host:
 *      - refuses the file and the library unless each is owned by root or by
 *        the service user and is not writable by group or others;
 *      - dlopen()s the library with RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE, so
 *        an unresolved symbol fails here and not in the middle of a request;
 *      - looks up GARRISON_PLUGIN_ENTRY_NAME and calls it with the host's
 *        ABI version. NULL means the plugin refuses this host;
 *      - checks the returned descriptor before running any other plugin code:
 *        magic, struct_size (at least the ABI 1.0 descriptor), abi_major equal
 *        to the host's, min_host_minor not above the host's minor, a valid and
 *        unique name, a non-NULL plugin_init, and for Swift plugins a
 *        build_info naming the host's toolchain.
 *    A refusal is logged with the file, the plugin's name and version and
 *    both ABI versions. The plugin is skipped; the host stops only if the
 *    plugins.d file says required = true.
 *
 * 2. Init. The host calls plugin_init() once, on one thread. Registration
 *    functions work only while plugin_init() runs. If plugin_init() returns
 *    anything but GARRISON_OK, the host removes every registration it made,
 *    calls their free_fn destructors, and does NOT call plugin_shutdown():
 *    a failing plugin_init() must release whatever else it allocated itself.
 *
 * 3. Migrations. After a successful plugin_init() the host applies the
 *    plugin's registered migrations, in version order, each once. If one
 *    fails, the plugin is disabled as in step 5.
 *
 * 4. Serving. Only now does the host dispatch requests, job runs, events,
 *    agent messages and auth questions to the plugin.
 *
 * 5. Disable (plugin turned off, failed migration, or host shutdown), in
 *    this order:
 *      a. stop routing: no new calls, job runs, events, agent messages or
 *         auth questions reach the plugin;
 *      b. drain: wait, up to a deadline, for in-flight route calls, job runs
 *         and auth questions to be answered;
 *      c. cancel: every pending async operation (db_query, agent_request,
 *         ...) completes with GARRISON_ERR_CANCELLED through its done
 *         callback;
 *      d. plugin_shutdown(state) -- the plugin joins its own threads here;
 *      e. the free_fn destructor of every registration, once each;
 *      f. the library is never dlclose()d. Loading changed code needs a
 *         restart of the host process.
 *    After plugin_shutdown() returns, the plugin must not call the host
 *    again, and every garrison_call, garrison_job and garrison_auth_call
 *    handle it still holds is invalid.
 *
 *
 * ===========================================================================
 *  THREADING
 * ===========================================================================
 *
 * - plugin_init() and plugin_shutdown() are called once each, on one host
 *   thread, never concurrently with anything else of the same plugin.
 * - Every other plugin callback (route, job, event, agent-message and auth
 *   functions, done callbacks) may run on any host thread, and several may
 *   run at the same time -- including the same callback, concurrently with
 *   itself. Protect shared state yourself.
 * - Callbacks must not block: no sleeping, no synchronous network, disk or
 *   database I/O, no waiting on a lock that is held across such I/O. Slow
 *   work returns GARRISON_PENDING and answers later from any thread.
 * - Every host function may be called from any thread, including threads
 *   the plugin started itself, except the register_* functions (init only).
 * - Host functions never block on the network or the database. The async
 *   ones return at once and report through a garrison_done_fn.
 * - A done callback may run before the function that started the operation
 *   has returned, on the calling thread. So: do not hold a non-recursive
 *   lock across a starting call if done takes the same lock, and do not
 *   touch the operation's user pointer after starting it successfully --
 *   done may already have freed it.
 * - Host functions may be called from inside any callback except a
 *   free_fn.
 *
 *
 * ===========================================================================
 *  MEMORY
 * ===========================================================================
 *
 * - Everything the host hands to a callback is borrowed for the duration of
 *   that callback, unless its documentation says otherwise. Copy what you
 *   keep.
 * - Everything the plugin hands to a host function is borrowed for the
 *   duration of that call: the host copies what it keeps before it returns.
 *   The plugin may free or reuse its buffers as soon as the call returns.
 * - No memory is ever freed across the boundary: the plugin never frees what
 *   the host allocated, and the host never frees what the plugin allocated.
 *   The one exception is user data handed over with a registration, which
 *   the host releases by calling the registration's free_fn.
 * - Strings are garrison_bytes: a pointer and a length, UTF-8, not
 *   NUL-terminated. Structured data is JSON text in garrison_bytes.
 * - No C++, Swift, Go or Rust objects cross the boundary.
 *
 *
 * ===========================================================================
 *  VERSIONING
 * ===========================================================================
 *
 * - GARRISON_ABI_MAJOR is part of the entry symbol's name. A new major is a
 *   new entry symbol; a host may accept several majors during a deprecation
 *   window, and a plugin may export several entries.
 * - Within a major, every struct in this header is append-only: members are
 *   never removed, reordered or retyped, and a new member always starts at
 *   or after the old sizeof of its struct, so struct_size tells the reader
 *   exactly which members exist.
 * - A plugin built against a newer minor than its host either sets
 *   min_host_minor to the oldest minor whose members it calls without
 *   checking (older hosts then refuse it cleanly at load), or tests each
 *   newer member with GARRISON_HAS() before calling it.
 * - ABI history:
 *     1.0  initial version.
 *     1.1  garrison_host_api gains audit, call_param and
 *          register_route_scoped.
 *     1.2  garrison_host_api gains call_set_timeout; agent_request's and
 *          agent_send's "_options" gain "not_before", "action_type" and
 *          "details" (an older host ignores them: a plugin that relies on
 *          them sets min_host_minor = 2).
 *     1.3  agent_request's "_options" gain "pending_action_key" (the host
 *          records a pending action and sends its id to the agent); the
 *          principal gains "permissions"; core_get "agent_targets" gains
 *          "id" (an older host has none of them: a plugin that relies on
 *          them sets min_host_minor = 3); garrison_host_api gains
 *          register_agent_member (a member of the operator's agent object,
 *          read in batches and written on the agent's PUT) and the
 *          GARRISON_MEMBER_* flags, and metric_add (plugin counters on the
 *          host's /metrics/) and GARRISON_METRIC_SERIES_MAX.
 */

#ifndef GARRISON_PLUGIN_H
#define GARRISON_PLUGIN_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif


/* ===========================================================================
 *  Versions, magic, export
 * ======================================================================== */

/* The ABI this header describes. See VERSIONING above. */
#define GARRISON_ABI_MAJOR      1
#define GARRISON_ABI_MINOR      3

/* The longest deadline call_set_timeout accepts (1.2): one day and one
 * hour, so a command run with Tactical RMM's largest timeout (a day)
 * still gets its answer. */
#define GARRISON_CALL_TIMEOUT_MAX_MS  90000000u

/* Where an agent member (register_agent_member, 1.3) appears. */
#define GARRISON_MEMBER_DETAIL    1u  /* GET /agents/<agent_id>/ and the
                                         answer of its PUT */
#define GARRISON_MEMBER_LIST      2u  /* every agent of GET /agents/ */
#define GARRISON_MEMBER_WRITABLE  4u  /* accepted in PUT /agents/<agent_id>/ */

/* The most counter series (one name with one set of label values) one
 * plugin may have on the host's /metrics/ (metric_add, 1.3): enough for
 * a handful of counters by a few labels, never one per agent or alert. */
#define GARRISON_METRIC_SERIES_MAX  256u

/* First member of every garrison_plugin_descriptor: "GRNS" read as a
 * big-endian 32-bit number. */
#define GARRISON_PLUGIN_MAGIC   0x47524E53u

/* The one symbol every plugin exports, for dlsym(). */
#define GARRISON_PLUGIN_ENTRY_NAME  "garrison_plugin_entry_v1"

/* Marks the entry function as exported when the plugin is built with
 * -fvisibility=hidden (which it should be). */
#if defined(__GNUC__) || defined(__clang__)
#define GARRISON_EXPORT  __attribute__((visibility("default")))
#else
#define GARRISON_EXPORT
#endif


/* ===========================================================================
 *  Status codes
 *
 *  Every int32_t status in this header is one of these. Negative values are
 *  errors. Plugins may return any of them from their callbacks; the host
 *  logs the name of the code.
 * ======================================================================== */

#define GARRISON_OK                 0   /* done */
#define GARRISON_PENDING            1   /* accepted; the answer comes later */
#define GARRISON_ERR_INVALID      (-1)  /* bad argument or malformed input */
#define GARRISON_ERR_PHASE        (-2)  /* not allowed now: registering outside
                                           plugin_init, responding twice, ... */
#define GARRISON_ERR_CONFLICT     (-3)  /* name, route or tag already taken */
#define GARRISON_ERR_NOT_FOUND    (-4)  /* no such object */
#define GARRISON_ERR_TIMEOUT      (-5)  /* a deadline passed */
#define GARRISON_ERR_CANCELLED    (-6)  /* cancelled, or the host gave up */
#define GARRISON_ERR_UNAVAILABLE  (-7)  /* a service is down: NATS, database,
                                           an offline agent */
#define GARRISON_ERR_DENIED       (-8)  /* not permitted */
#define GARRISON_ERR_INTERNAL     (-9)  /* a bug or an unexpected failure */
#define GARRISON_ERR_UNSUPPORTED (-10)  /* this host does not offer that
                                           service (yet) */


/* ===========================================================================
 *  Log levels, for garrison_host_api.log
 * ======================================================================== */

#define GARRISON_LOG_TRACE      0
#define GARRISON_LOG_DEBUG      1
#define GARRISON_LOG_INFO       2
#define GARRISON_LOG_NOTICE     3
#define GARRISON_LOG_WARNING    4
#define GARRISON_LOG_ERROR      5
#define GARRISON_LOG_CRITICAL   6


/* ===========================================================================
 *  Bytes
 * ======================================================================== */

/*
 * A borrowed run of bytes: text (UTF-8) or JSON. Never NUL-terminated as far
 * as the ABI is concerned -- always use len. {NULL, 0} is the empty value;
 * ptr may be NULL only when len is 0. Who owns the bytes, and for how long,
 * is stated wherever a garrison_bytes appears.
 */
typedef struct garrison_bytes {
    const uint8_t  *ptr;
    size_t          len;
} garrison_bytes;

/*
 * GARRISON_STR("literal") makes a garrison_bytes from a string literal, without
 * the terminating NUL. Only literals are accepted. The bytes are static, so
 * they may be passed anywhere.
 */
#ifdef __cplusplus
#define GARRISON_STR(s) \
    (garrison_bytes{ reinterpret_cast<const uint8_t *>("" s ""), sizeof("" s "") - 1 })
#else
#define GARRISON_STR(s) \
    ((garrison_bytes){ (const uint8_t *) ("" s ""), sizeof("" s "") - 1 })
#endif

/*
 * garrison_cstr() wraps a NUL-terminated string without copying it; the result
 * borrows s and is valid as long as s is. NULL gives the empty value.
 */
static inline garrison_bytes
garrison_cstr(const char *s)
{
    garrison_bytes  b;
    size_t          n = 0;

    if (s != NULL) {
        while (s[n] != '\0') {
            n++;
        }
    }

    b.ptr = (const uint8_t *) s;
    b.len = n;
    return b;
}


/* ===========================================================================
 *  Opaque handles and small types
 * ======================================================================== */

/* One per loaded plugin; identifies the plugin in every host call. Valid from
 * plugin_init() until plugin_shutdown() returns. */
typedef struct garrison_host       garrison_host;

/* One in-flight HTTP request to a plugin route. Validity: see call_respond. */
typedef struct garrison_call       garrison_call;

/* One in-flight run of a plugin job. Validity: see job_complete. */
typedef struct garrison_job        garrison_job;

/* One in-flight auth-hook question. Validity: see auth_complete. */
typedef struct garrison_auth_call  garrison_auth_call;

/* Identifies one registration (route, job kind, subscription, handler or
 * hook). Never 0 for a successful registration. ABI 1.x has no call that
 * takes it back; the host prints it in its logs. */
typedef uint64_t  garrison_reg;

/*
 * Cancel tokens (uint64_t) identify one pending async operation, for
 * garrison_host_api.cancel. Never 0 for a started operation, and never
 * reused within the life of the host process.
 */


/* ===========================================================================
 *  Callback types the plugin provides
 * ======================================================================== */

/*
 * Destructor for the user pointer handed over with a registration.
 *
 * Called by the host exactly once per successful registration, when the
 * registration is removed: after a failed plugin_init(), or at step 5e of
 * the disable order (after plugin_shutdown()). Any thread. Must not call the
 * host. May be NULL when there is nothing to release. If a register_*
 * function fails, the host keeps nothing and never calls free_fn: the user
 * pointer is still the plugin's.
 */
typedef void (*garrison_free_fn)(void *user);

/*
 * Completion of an async host service (db_query, core_get, schedule_upsert,
 * schedule_cancel, agent_request).
 *
 * Called exactly once for every start call that returned GARRISON_OK, and
 * never for one that returned an error. Any host thread; possibly before the
 * start call has returned.
 *
 *   user    the pointer given to the start call, untouched.
 *   status  GARRISON_OK, or a negative code (GARRISON_ERR_CANCELLED after
 *           cancel() or when the plugin is being disabled).
 *   data    borrowed for the duration of this callback. On GARRISON_OK, JSON
 *           as described by the start call; when status < 0, a human-readable
 *           error message for logs (may be empty). Never show it to HTTP
 *           clients: it may hold SQL or internal details.
 */
typedef void (*garrison_done_fn)(void *user, int32_t status,
    garrison_bytes data);


/* ===========================================================================
 *  Routes
 * ======================================================================== */

/*
 * One HTTP request to a plugin route, already routed, authenticated and
 * checked against the route's permission. Filled by the host.
 *
 * The struct and every byte it points to are borrowed until the route
 * function returns -- including when it returns GARRISON_PENDING. Copy what
 * a pending answer needs.
 */
typedef struct garrison_request {
    uint32_t        struct_size;    /* sizeof as the host knows it; test newer
                                       members with GARRISON_STRUCT_HAS */
    garrison_bytes  method;         /* "GET", "POST", ... upper case */
    garrison_bytes  path;           /* "/hello/world/", as sent (still
                                       percent-encoded), without the query */
    garrison_bytes  query;          /* "a=1&b=2", without '?'; empty if none */
    garrison_bytes  body;           /* raw request body; may be empty */
    garrison_bytes  params_json;    /* path parameters, percent-decoded, as a
                                       JSON object of strings: {"pk":"3"};
                                       "{}" when the pattern has none */
    garrison_bytes  principal_json; /* who is calling:
                                       {"kind":"user","username":"..",
                                        "user_id":1,"is_superuser":false,
                                        "can_view_clients":[1],
                                        "can_view_sites":[]}
                                       (the role's scope: client and site
                                       ids it may see; both empty = all;
                                       since 1.3 also "permissions", the
                                       names the role holds, for a route
                                       that needs a second one; empty
                                       for a superuser, who holds all)
                                       or {"kind":"agent","agent_id":".."} */
    garrison_bytes  request_id;     /* the host's id for this request; put it
                                       in log lines about the request */
    garrison_bytes  source_ip;      /* client address: "203.0.113.7",
                                       "2001:db8::1" */
} garrison_request;

/*
 * A route function, registered with register_route.
 *
 *   user  the pointer given to register_route.
 *   req   the request; borrowed until this function returns.
 *   call  the handle to answer through (call_respond). Validity: see
 *         call_respond.
 *
 * Returns:
 *   GARRISON_OK       the function has called call_respond.
 *   GARRISON_PENDING  call_respond will be (or already was) called, from any
 *                     thread -- e.g. from a done callback.
 *   anything else     the host logs the code and answers 500
 *                     {"detail":"internal error"} unless call_respond was
 *                     already called. Returning GARRISON_OK without having
 *                     responded is treated the same way.
 *
 * Any thread, concurrently; must not block.
 */
typedef int32_t (*garrison_route_fn)(void *user, const garrison_request *req,
    garrison_call *call);


/* ===========================================================================
 *  Jobs
 * ======================================================================== */

/*
 * One run of a scheduled job of a kind this plugin registered. Filled by the
 * host; the struct and its bytes are borrowed until the job function returns.
 */
typedef struct garrison_job_run {
    uint32_t        struct_size;    /* see garrison_request.struct_size */
    garrison_bytes  kind;           /* the job kind, as registered */
    garrison_bytes  schedule_id;    /* the schedule that fired */
    garrison_bytes  run_id;         /* unique for this run; the same across
                                       retries of the run */
    garrison_bytes  payload_json;   /* the schedule's "payload"; "null" if it
                                       has none */
    garrison_bytes  agent_id;       /* the schedule's agent; empty if none */
    uint32_t        attempt;        /* 1 for the first try, 2 for the first
                                       retry, ... */
} garrison_job_run;

/*
 * A job function, registered with register_job_kind.
 *
 *   user  the pointer given to register_job_kind.
 *   run   the run; borrowed until this function returns.
 *   job   the handle to finish through (job_complete). Validity: see
 *         job_complete.
 *
 * Returns GARRISON_OK when job_complete has been called, GARRISON_PENDING when
 * it will be (or already was) called from any thread. Anything else: the
 * host records the run as failed with that code, unless job_complete was
 * already called.
 *
 * Any thread, concurrently; must not block. A scheduled job runs on exactly
 * one host even when several hosts share the database.
 */
typedef int32_t (*garrison_job_fn)(void *user, const garrison_job_run *run,
    garrison_job *job);


/* ===========================================================================
 *  Events and agent messages
 * ======================================================================== */

/*
 * An event subscriber, registered with event_subscribe.
 *
 *   user  the pointer given to event_subscribe.
 *   name  the event's name ("agent.online"); borrowed for this call.
 *   json  the event's JSON object; borrowed for this call.
 *
 * Any thread, concurrently, in no guaranteed order. Must not block: queue
 * slow work. Delivery is in-process and at most once; events published
 * while a plugin is not serving are not replayed.
 */
typedef void (*garrison_event_fn)(void *user, garrison_bytes name,
    garrison_bytes json);

/*
 * An agent-message handler, registered with register_agent_handler. Called
 * for each message an agent sends with the registered reply tag.
 *
 *   user          the pointer given to register_agent_handler.
 *   agent_id      the sending agent's id; borrowed for this call.
 *   reply_tag     the tag the handler was registered for; borrowed.
 *   payload_json  the message, decoded to JSON; borrowed for this call.
 *
 * Any thread, concurrently; must not block.
 */
typedef void (*garrison_agent_msg_fn)(void *user, garrison_bytes agent_id,
    garrison_bytes reply_tag, garrison_bytes payload_json);


/* ===========================================================================
 *  Auth hooks
 *
 *  Auth hooks take part in operator sign-in. The host verifies the username
 *  and password itself, and only then asks every registered hook; a wrong
 *  password never reaches a hook, and no hook can make it pass. When every
 *  hook answers GARRISON_AUTH_DEFER, the password alone decides.
 *
 *  Otherwise the strongest verdict wins, in this order:
 *  DENY > CHALLENGE > LIMITED > ALLOW > DEFER. When several hooks give the
 *  winning verdict, the data of the first one in plugin load order is used.
 * ======================================================================== */

/* The two questions of Tactical RMM's two-step sign-in. */
#define GARRISON_AUTH_STAGE_CHECKCREDS  1   /* POST /checkcreds/: password
                                               checked, no second factor
                                               sent yet */
#define GARRISON_AUTH_STAGE_LOGIN       2   /* POST /login/: the final step;
                                               request_json may carry a
                                               "twofactor" code */

/* Verdicts, for auth_complete. */
#define GARRISON_AUTH_DEFER      0  /* not mine: no opinion */
#define GARRISON_AUTH_ALLOW      1  /* mine, and this user passes my check
                                       (e.g. the second factor I asked for
                                       is right); data: "{}" or empty */
#define GARRISON_AUTH_DENY       2  /* refuse the sign-in; data: optional
                                       {"detail":"..."} shown to the user */
#define GARRISON_AUTH_CHALLENGE  3  /* a second factor is needed; data says
                                       which, e.g. {"totp":true} */
#define GARRISON_AUTH_LIMITED    4  /* sign in, but issue only a limited
                                       token; data: {"scope":"..."} */

/*
 * One auth question. Filled by the host; the struct and its bytes are
 * borrowed until the hook function returns.
 */
typedef struct garrison_auth_query {
    uint32_t        struct_size;    /* see garrison_request.struct_size */
    int32_t         stage;          /* GARRISON_AUTH_STAGE_* */
    garrison_bytes  user_json;      /* the verified user:
                                       {"id":1,"username":"..."} */
    garrison_bytes  request_json;   /* the sign-in body with the password
                                       removed, e.g.
                                       {"username":"..","twofactor":"123456"} */
    garrison_bytes  source_ip;      /* client address */
} garrison_auth_query;

/*
 * An auth hook, registered with register_auth_hook.
 *
 *   user  the pointer given to register_auth_hook.
 *   q     the question; borrowed until this function returns.
 *   call  the handle to answer through (auth_complete). Validity: see
 *         auth_complete.
 *
 * Returns GARRISON_OK when auth_complete has been called, GARRISON_PENDING
 * when it will be (or already was) called from any thread. Anything else,
 * and no answer before the host's auth deadline, count as GARRISON_AUTH_DENY:
 * a broken hook fails closed.
 *
 * Any thread, concurrently; must not block.
 */
typedef int32_t (*garrison_auth_fn)(void *user, const garrison_auth_query *q,
    garrison_auth_call *call);


/* ===========================================================================
 *  The host function table
 *
 *  Passed to plugin_init(); the pointer and the table stay valid for the
 *  life of the process. Every member within struct_size is non-NULL; a
 *  service the host does not offer yet returns GARRISON_ERR_UNSUPPORTED.
 *  Test members newer than the plugin's min_host_minor with GARRISON_HAS.
 * ======================================================================== */

typedef struct garrison_host_api {
    uint32_t  struct_size;      /* sizeof(garrison_host_api) in the host */
    uint16_t  abi_major;        /* the host's GARRISON_ABI_MAJOR */
    uint16_t  abi_minor;        /* the host's GARRISON_ABI_MINOR */

    /* ---------------------------------------------------------------- 1.0 */

    /*
     * log -- write a line to the host's log, tagged with the plugin's name.
     *
     * Any time, any thread.
     *
     *   host   the plugin's handle.
     *   level  GARRISON_LOG_*; values out of range are clamped.
     *   msg    the message, one line, no trailing newline. Copied by the host
     *          before return.
     */
    void (*log)(garrison_host *host, int32_t level, garrison_bytes msg);

    /*
     * settings -- the [settings] table of the plugin's plugins.d file, as a
     * JSON object ("{}" when the file has none). TOML dates become RFC 3339
     * strings.
     *
     * Any time, any thread.
     *
     *   host  the plugin's handle.
     *
     * Returns the JSON, owned by the host and valid until plugin_shutdown()
     * returns. Never freed or changed by the plugin.
     */
    garrison_bytes (*settings)(garrison_host *host);

    /*
     * register_route -- serve an HTTP route.
     *
     * Init only.
     *
     *   host          the plugin's handle.
     *   method        "GET", "POST", "PUT", "PATCH" or "DELETE". A GET route
     *                 also answers HEAD. Copied.
     *   path_pattern  "/hello/<pk>/": literal segments and <name> parameters
     *                 (name in [A-Za-z0-9_]; Django-style <int:pk> is read as
     *                 "pk"). A trailing '/' is added if missing. Literal
     *                 segments win over parameters when matching. Copied.
     *   permission    who may call: an operator permission name such as
     *                 "can_list_agents" (superusers hold them all),
     *                 "authenticated" for any signed-in operator, or "agent"
     *                 for agent routes under /api/v3/ (the caller is an
     *                 enrolled agent). Copied.
     *   fn            called for each request; not NULL.
     *   user          passed to fn untouched; released with free_fn.
     *   free_fn       destructor for user, or NULL.
     *   out           receives the registration handle; may be NULL.
     *
     * Returns:
     *   GARRISON_OK              registered; free_fn will be called once.
     *   GARRISON_ERR_INVALID     unknown method or permission, bad pattern,
     *                            fn NULL.
     *   GARRISON_ERR_PHASE       called outside plugin_init().
     *   GARRISON_ERR_CONFLICT    the host or a plugin already serves this
     *                            method and pattern (patterns that differ only
     *                            in parameter names are the same).
     */
    int32_t (*register_route)(garrison_host *host, garrison_bytes method,
        garrison_bytes path_pattern, garrison_bytes permission,
        garrison_route_fn fn, void *user, garrison_free_fn free_fn,
        garrison_reg *out);

    /*
     * call_header -- read a request header.
     *
     * Any thread, while the call is valid, before call_respond.
     *
     *   call  the request.
     *   name  the header name, matched case-insensitively. Borrowed for the
     *         call.
     *   out   receives the value (several lines of the same name are joined
     *         with ", "); borrowed until call_respond is called. Set to the
     *         empty value on error.
     *
     * Returns:
     *   GARRISON_OK             found.
     *   GARRISON_ERR_NOT_FOUND  the request has no such header.
     *   GARRISON_ERR_INVALID    out is NULL or name is empty.
     *   GARRISON_ERR_PHASE      call_respond was already called.
     */
    int32_t (*call_header)(garrison_call *call, garrison_bytes name,
        garrison_bytes *out);

    /*
     * call_set_header -- add a response header. Calling twice with the same
     * name sends two header lines.
     *
     * Any thread, while the call is valid, before call_respond.
     *
     *   call   the request.
     *   name   the header name. Copied.
     *   value  the value; no CR or LF. Copied.
     *
     * Returns:
     *   GARRISON_OK           added.
     *   GARRISON_ERR_INVALID  bad name or value, or a header the host
     *                         controls (Content-Length, Content-Type,
     *                         Transfer-Encoding, Connection).
     *   GARRISON_ERR_PHASE    call_respond was already called.
     */
    int32_t (*call_set_header)(garrison_call *call, garrison_bytes name,
        garrison_bytes value);

    /*
     * call_respond -- send the response. Exactly once per call.
     *
     * Any thread, while the call is valid. The call handle is valid from the
     * moment the route function is called until the later of: the route
     * function returning, and call_respond returning something other than
     * GARRISON_ERR_INVALID. If the route function returns anything but
     * GARRISON_PENDING, the handle ends when it returns. After
     * GARRISON_PENDING the host never frees a call the plugin has not
     * answered, even after giving up on it (call_respond then reports
     * TIMEOUT or CANCELLED), until plugin_shutdown() returns.
     *
     *   call          the request.
     *   http_status   200..599.
     *   content_type  e.g. "application/json"; empty sends no Content-Type.
     *                 Copied.
     *   body          the response body; may be empty. Copied before
     *                 return, so a stack buffer is fine.
     *
     * Returns:
     *   GARRISON_OK              sent.
     *   GARRISON_ERR_INVALID     http_status out of range; nothing was sent
     *                            and the call is still open.
     *   GARRISON_ERR_PHASE       call_respond was already called (only
     *                            detectable while the handle is valid).
     *   GARRISON_ERR_TIMEOUT     the host already answered 504 after its
     *                            deadline; this response was dropped.
     *   GARRISON_ERR_CANCELLED   the client went away or the plugin is
     *                            being disabled; this response was dropped.
     */
    int32_t (*call_respond)(garrison_call *call, int32_t http_status,
        garrison_bytes content_type, garrison_bytes body);

    /*
     * register_migration -- add a step to the plugin's database schema.
     *
     * Init only. The host applies the steps after plugin_init() returns
     * GARRISON_OK and before anything is dispatched, in version order, each
     * in its own transaction and only once per database (it records applied
     * versions). They run in the plugin's own PostgreSQL schema, named after
     * the plugin and set as the search_path, so unqualified names land
     * there. A released step never changes; fixes are new versions.
     *
     *   host     the plugin's handle.
     *   version  1, 2, 3, ...: unique, and greater than the previous
     *            registration's.
     *   sql      one or more SQL statements. Copied.
     *
     * Returns:
     *   GARRISON_OK            registered.
     *   GARRISON_ERR_INVALID   version 0 or not increasing, or empty sql.
     *   GARRISON_ERR_CONFLICT  this version is already registered.
     *   GARRISON_ERR_PHASE     called outside plugin_init().
     */
    int32_t (*register_migration)(garrison_host *host, uint32_t version,
        garrison_bytes sql);

    /*
     * db_query -- run one SQL statement in the plugin's schema.
     *
     * Any thread, once plugin_init() has returned (the schema is migrated
     * only then). The statement cannot reach other schemas.
     *
     *   host         the plugin's handle.
     *   sql          one statement, parameters written $1..$n. Copied.
     *   params_json  a JSON array bound to $1..$n: strings, numbers,
     *                booleans or null ("[]" or empty for none). Copied.
     *   done         called once with the rows, as a JSON array of objects
     *                keyed by column name ("[]" for statements that return
     *                no rows). Errors: GARRISON_ERR_INVALID (the statement
     *                failed: syntax, constraint, type),
     *                GARRISON_ERR_CONFLICT (unique violation),
     *                GARRISON_ERR_DENIED (outside the plugin's schema),
     *                GARRISON_ERR_UNAVAILABLE (database down),
     *                GARRISON_ERR_TIMEOUT, GARRISON_ERR_CANCELLED.
     *   user         passed to done untouched.
     *   cancel_out   receives the cancel token before done can run; may be
     *                NULL. Set to 0 on error.
     *
     * Returns:
     *   GARRISON_OK           started; done will be called once.
     *   GARRISON_ERR_INVALID  done NULL, empty sql, params_json not an array.
     *   GARRISON_ERR_PHASE    called during plugin_init() or after the
     *                         plugin began shutting down.
     *   Errors mean done will not be called.
     */
    int32_t (*db_query)(garrison_host *host, garrison_bytes sql,
        garrison_bytes params_json, garrison_done_fn done, void *user,
        uint64_t *cancel_out);

    /*
     * core_get -- read one host-owned object.
     *
     * Any thread.
     *
     *   host        the plugin's handle.
     *   kind        one of these, copied:
     *                 "agent"           id = agent_id; the agent as GET
     *                                   /agents/<agent_id>/ renders it.
     *                 "agent_brief"     id = agent_id; the agent as the agent
     *                                   list renders it (no disks, services or
     *                                   WMI), with "custom_fields" and
     *                                   "policies" (as "agent_policies"): what
     *                                   an agent's every call needs, cheaply.
     *                 "client", "site"  id = numeric id; as /clients/ renders.
     *                 "policy"          id = numeric id; the automation policy
     *                                   as GET /automation/policies/<pk>/.
     *                 "agent_policies"  id = agent_id; the active policies
     *                                   that reach the agent, highest
     *                                   precedence first (agent, site, client,
     *                                   global default; exclusions and
     *                                   block_policy_inheritance applied):
     *                                   [{"id":3,"enforced":false,
     *                                     "source":"site"}, ...].
     *                 "agents"          id = "client:<pk>", "site:<pk>" or
     *                                   "all"; the agent_ids there, as a JSON
     *                                   array of strings.
     *                 "agent_targets"   id as for "agents"; [{"agent_id",
     *                                   "hostname","plat","monitoring_type",
     *                                   "client_id","site_id","status"}]
     *                                   ordered by agent_id (bulk runs);
     *                                   since 1.3 also "id", the agent's
     *                                   numeric key.
     *                 "agent_variables" id as for "agents"; each agent as
     *                                   "agent" renders it but without
     *                                   "disks", "services" and "wmi_detail",
     *                                   as a JSON array ordered by agent_id:
     *                                   {{agent.x}} values for a bulk run in
     *                                   one call instead of one per agent.
     *                 "global"          id = a key store name: {"name",
     *                                   "value"}; id = "*": every key as
     *                                   {"<name>": "<value>", ...}.
     *                 "may_manage_user" id = "<caller user_id>:<target
     *                                   user_id>": may the caller change the
     *                                   target operator (password, second
     *                                   factor, role, delete)? {"allowed":
     *                                   true,"username":".."} or {"allowed":
     *                                   false,"detail":"<why>"}: only a
     *                                   superuser touches a superuser, and
     *                                   nobody takes over an operator who
     *                                   holds a permission or scope they do
     *                                   not. NOT_FOUND if either is unknown.
     *                 "core_settings"   id = "1": the global settings as
     *                                   GET /core/settings/ renders them, but
     *                                   with secrets (mesh_token, ...) in
     *                                   clear (a host older than this kind
     *                                   answers GARRISON_ERR_UNSUPPORTED).
     *                 "operators"       id = "active": every operator who may
     *                                   sign in to the dashboard, ordered by
     *                                   id: [{"id","username","first_name",
     *                                   "last_name","is_superuser",
     *                                   "permissions":[..],"can_view_clients":
     *                                   [..],"can_view_sites":[..]}] (for
     *                                   plugins that sync users elsewhere).
     *                 "agent_mesh_nodes" id = "all": the agents that reported
     *                                   a mesh node id: [{"agent_id",
     *                                   "mesh_node_id","client_id",
     *                                   "site_id"}] ordered by agent_id.
     *                 "policy_reach"    id = policy id: where it can run
     *                                   things on agents, by assignment:
     *                                   {"global":false,"clients":[1],
     *                                    "sites":[{"id":4,"client":1}],
     *                                    "agents":[{"agent_id":"..",
     *                                    "client":1,"site":4}]}; "global"
     *                                   is true for a core-settings default
     *                                   (it reaches every agent).
     *               Kinds may be added in any minor; an unknown kind answers
     *               GARRISON_ERR_UNSUPPORTED.
     *   id          the object's id as text, as each kind says. Copied.
     *   done        called once with the object as JSON. Errors:
     *               GARRISON_ERR_NOT_FOUND, GARRISON_ERR_UNAVAILABLE,
     *               GARRISON_ERR_CANCELLED.
     *   user        passed to done untouched.
     *   cancel_out  as for db_query.
     *
     * Returns:
     *   GARRISON_OK               started; done will be called once.
     *   GARRISON_ERR_INVALID      done NULL or empty id.
     *   GARRISON_ERR_UNSUPPORTED  the host has no such kind.
     *   GARRISON_ERR_PHASE        called during plugin_init() (done could
     *                             otherwise run while init still does), or
     *                             the plugin is shutting down.
     *   Errors mean done will not be called.
     */
    int32_t (*core_get)(garrison_host *host, garrison_bytes kind,
        garrison_bytes id, garrison_done_fn done, void *user,
        uint64_t *cancel_out);

    /*
     * event_publish -- publish an event on the host's in-process event bus.
     *
     * Any thread. Delivery is asynchronous: no subscriber runs inside this
     * call.
     *
     *   host  the plugin's handle.
     *   name  dot-separated, e.g. "hello-c.greeted". The host publishes
     *         under "agent.", "client.", "site." and "core."; plugins
     *         publish under their own name. Copied.
     *   json  a JSON object. Copied.
     *
     * Returns:
     *   GARRISON_OK           queued for delivery.
     *   GARRISON_ERR_INVALID  empty name, or json not an object.
     *   GARRISON_ERR_DENIED   the name is in a namespace the host reserves,
     *                         or not under the plugin's own name.
     *   GARRISON_ERR_PHASE    the plugin is shutting down.
     */
    int32_t (*event_publish)(garrison_host *host, garrison_bytes name,
        garrison_bytes json);

    /*
     * event_subscribe -- receive events.
     *
     * Init only.
     *
     *   host          the plugin's handle.
     *   name_pattern  an exact name ("agent.online"), or a prefix ending in
     *                 '*' ("agent.*" matches every name that starts with
     *                 "agent."; "*" matches all). Copied.
     *   fn            called for each matching event; not NULL.
     *   user          passed to fn untouched; released with free_fn.
     *   free_fn       destructor for user, or NULL.
     *   out           receives the registration handle; may be NULL.
     *
     * Returns:
     *   GARRISON_OK           subscribed; free_fn will be called once.
     *   GARRISON_ERR_INVALID  empty pattern, '*' not at the end, fn NULL.
     *   GARRISON_ERR_PHASE    called outside plugin_init().
     */
    int32_t (*event_subscribe)(garrison_host *host,
        garrison_bytes name_pattern, garrison_event_fn fn, void *user,
        garrison_free_fn free_fn, garrison_reg *out);

    /*
     * register_job_kind -- handle scheduled jobs of a kind.
     *
     * Init only. This host has no scheduler yet: it records and lists the
     * kind (and calls free_fn as for any registration) but never runs it.
     *
     *   host     the plugin's handle.
     *   kind     the job kind, e.g. "hello-c.report"; unique in the host.
     *            Copied.
     *   fn       called for each run; not NULL.
     *   user     passed to fn untouched; released with free_fn.
     *   free_fn  destructor for user, or NULL.
     *   out      receives the registration handle; may be NULL.
     *
     * Returns:
     *   GARRISON_OK            registered; free_fn will be called once.
     *   GARRISON_ERR_INVALID   empty kind, fn NULL.
     *   GARRISON_ERR_CONFLICT  the kind is taken.
     *   GARRISON_ERR_PHASE     called outside plugin_init().
     */
    int32_t (*register_job_kind)(garrison_host *host, garrison_bytes kind,
        garrison_job_fn fn, void *user, garrison_free_fn free_fn,
        garrison_reg *out);

    /*
     * job_complete -- finish a job run. Exactly once per run.
     *
     * Any thread, while the job is valid. Validity follows the rule of
     * call_respond, with the job function in place of the route function.
     *
     *   job          the run.
     *   status       GARRISON_OK for success, or a negative code for failure
     *                (the schedule's retry policy may then run it again with
     *                attempt + 1).
     *   result_json  a JSON value kept with the run's history; may be empty.
     *                Copied.
     *
     * Returns:
     *   GARRISON_OK              recorded.
     *   GARRISON_ERR_INVALID     status is GARRISON_PENDING or positive, or
     *                            result_json is not JSON; nothing recorded.
     *   GARRISON_ERR_PHASE       already completed.
     *   GARRISON_ERR_TIMEOUT     the run's deadline had passed and the host
     *                            recorded it as timed out; dropped.
     *   GARRISON_ERR_CANCELLED   the plugin is being disabled; dropped.
     */
    int32_t (*job_complete)(garrison_job *job, int32_t status,
        garrison_bytes result_json);

    /*
     * schedule_upsert -- create or replace a schedule of this plugin's jobs.
     *
     * Any thread, once plugin_init() has returned. Schedules live in the
     * database and survive restarts; they belong to the plugin, which sees
     * and changes only its own.
     *
     *   host           the plugin's handle.
     *   schedule_json  a JSON object:
     *                    "id"        text chosen by the plugin; an existing
     *                                schedule with this id is replaced;
     *                    "kind"      a job kind this plugin registered;
     *                    "cron"      "m h dom mon dow" in UTC, or
     *                    "every_s"   an interval in seconds, or
     *                    "at"        one RFC 3339 time, to run once, or
     *                    "schedule"  the full form: {"type": "cron" |
     *                                "interval" | "once" | "daily" |
     *                                "weekly" | "monthly" | "monthlydow",
     *                                ...} with "tz", "starts_at",
     *                                "expires_at", "random_delay_seconds"
     *                                and "missed" ("run_once" | "skip"), as
     *                                GET /core/jobs/ shows them;
     *                    "max_attempts" optional, default 3;
     *                    "payload"   optional, any JSON, given to each run;
     *                    "agent_id"  optional: run only while this agent is
     *                                online, as soon as it is back.
     *                  Copied.
     *   done           called once with {"id":"..","next_run":"<RFC 3339>"}.
     *                  Errors: GARRISON_ERR_INVALID (bad schedule),
     *                  GARRISON_ERR_NOT_FOUND (kind not registered by this
     *                  plugin), GARRISON_ERR_UNAVAILABLE,
     *                  GARRISON_ERR_CANCELLED.
     *   user           passed to done untouched.
     *   cancel_out     as for db_query.
     *
     * Returns GARRISON_OK (started), GARRISON_ERR_INVALID (done NULL or not
     * JSON), GARRISON_ERR_PHASE (during plugin_init() or shutdown) or
     * GARRISON_ERR_UNSUPPORTED. Errors mean done will not be called.
     */
    int32_t (*schedule_upsert)(garrison_host *host,
        garrison_bytes schedule_json, garrison_done_fn done, void *user,
        uint64_t *cancel_out);

    /*
     * schedule_cancel -- delete one of this plugin's schedules. A run already
     * in progress finishes.
     *
     * Any thread, once plugin_init() has returned.
     *
     *   host         the plugin's handle.
     *   schedule_id  the "id" given to schedule_upsert. Copied.
     *   done         called once with "{}". Errors: GARRISON_ERR_NOT_FOUND,
     *                GARRISON_ERR_UNAVAILABLE, GARRISON_ERR_CANCELLED.
     *   user         passed to done untouched.
     *   cancel_out   as for db_query.
     *
     * Returns as schedule_upsert.
     */
    int32_t (*schedule_cancel)(garrison_host *host,
        garrison_bytes schedule_id, garrison_done_fn done, void *user,
        uint64_t *cancel_out);

    /*
     * register_agent_handler -- receive agent messages carrying a reply tag.
     *
     * Init only. Once the plugin serves, every message an agent publishes on
     * its own subject with this reply tag reaches fn, after the host checked
     * it as it checks telemetry: a msgpack map whose "agent_id" is the
     * sending agent (anything else is dropped and logged). The core telemetry
     * tags ("agent-hello", ...) cannot be taken.
     *
     *   host       the plugin's handle.
     *   reply_tag  the tag, unique in the host. Copied.
     *   fn         called for each message; not NULL.
     *   user       passed to fn untouched; released with free_fn.
     *   free_fn    destructor for user, or NULL.
     *   out        receives the registration handle; may be NULL.
     *
     * Returns:
     *   GARRISON_OK            registered; free_fn will be called once.
     *   GARRISON_ERR_INVALID   empty tag, fn NULL.
     *   GARRISON_ERR_CONFLICT  the tag is taken (by a plugin or core telemetry).
     *   GARRISON_ERR_PHASE     called outside plugin_init().
     */
    int32_t (*register_agent_handler)(garrison_host *host,
        garrison_bytes reply_tag, garrison_agent_msg_fn fn, void *user,
        garrison_free_fn free_fn, garrison_reg *out);

    /*
     * agent_request -- send a command to an agent and wait for its reply.
     *
     * Any thread, once plugin_init() has returned. The host encodes the
     * command as msgpack and decides from "func" whether the agent answers
     * (docs/agent-protocol.md §4.3): for a function that never answers it
     * publishes without waiting and done gets "null".
     *
     *   host          the plugin's handle.
     *   agent_id      the agent. Copied.
     *   payload_json  the command as a JSON object: "func", "payload" (an
     *                 object of strings only -- the agent drops anything
     *                 else), other top-level keys as the agent reads them.
     *                 An optional "_options" object is for the host and is
     *                 not sent: "history" {"type": "cmd_run" | "script_run" |
     *                 "task_run" | "command", "command", "script_name",
     *                 "origin"} records the run in the agent's history (for
     *                 rawcmd/runscript/runscriptfull the row's id is sent as
     *                 "id", and the agent's histresult raises the event
     *                 agent.history.result with "origin"); "queue_if_offline"
     *                 true stores a command that can wait (runscript, rawcmd,
     *                 rebootnow, agentupdate, ...) as a pending action when
     *                 the agent is offline; "username" names who asked;
     *                 "save_result" (with "history") {"note": bool,
     *                 "custom_field": "<name>", "all_output": bool} writes
     *                 the output to an agent note and/or custom field (last
     *                 line unless all_output) once, from whichever result
     *                 comes first (NATS reply or histresult).
     *                 Since 1.2, with "queue_if_offline": "not_before" (an
     *                 ISO 8601 time) keeps the command as a pending action
     *                 until then even for an online agent; "action_type"
     *                 names the pending action ("schedreboot"; default:
     *                 "func"); "details" (an object) is shown with it in
     *                 /logs/pendingactions/.
     *                 Since 1.3, "pending_action_key" (a name of [a-z_],
     *                 not "id" or "timeout"; not with "queue_if_offline"):
     *                 for a command whose outcome the agent reports later
     *                 through a route that names a pending action
     *                 (installwithchoco, then chocoresult). The host records
     *                 a pending action ("action_type", "details") that the
     *                 offline queue never sends, puts its id in that
     *                 top-level key of the command, and sends it; when the
     *                 agent does not answer the action is removed again.
     *                 The answer's "pending_action_id" names it.
     *                 With "_options", done always gets GARRISON_OK and
     *                 {"status": "ok"|"sent"|"queued"|"timeout"|"natsdown",
     *                 "reply", "history_id", "pending_action_id"}. Copied.
     *   timeout_ms    how long to wait for the reply; 0 means the host's
     *                 default.
     *   done          called once with the agent's reply as JSON. Errors:
     *                 GARRISON_ERR_NOT_FOUND (no such agent),
     *                 GARRISON_ERR_UNAVAILABLE (agent offline or NATS down),
     *                 GARRISON_ERR_TIMEOUT, GARRISON_ERR_CANCELLED.
     *   user          passed to done untouched.
     *   cancel_out    as for db_query.
     *
     * Returns GARRISON_OK (started; without a bus done gets
     * GARRISON_ERR_UNAVAILABLE), GARRISON_ERR_INVALID (done NULL, empty
     * agent_id, payload not an object, no "func", a non-string payload
     * value) or GARRISON_ERR_PHASE (during plugin_init() or shutdown).
     * Errors mean done will not be called.
     */
    int32_t (*agent_request)(garrison_host *host, garrison_bytes agent_id,
        garrison_bytes payload_json, uint32_t timeout_ms,
        garrison_done_fn done, void *user, uint64_t *cancel_out);

    /*
     * agent_send -- send a message to an agent without waiting for a reply.
     *
     * Any thread, once plugin_init() has returned. Published without a reply
     * subject even when the function answers. Without "_options" the message
     * is on the bus when this returns, so sends to one agent keep their
     * order; with "_options" (as for agent_request) the host records history
     * or queues it for an offline agent in the background. The host does not
     * look the agent up: a message to an unknown agent goes nowhere.
     *
     *   host          the plugin's handle.
     *   agent_id      the agent. Copied.
     *   payload_json  the message as a JSON object, as for agent_request.
     *                 Copied.
     *
     * Returns:
     *   GARRISON_OK               handed to the bus (not a delivery receipt).
     *   GARRISON_ERR_INVALID      empty agent_id, payload not a valid command.
     *   GARRISON_ERR_UNAVAILABLE  NATS is down, or this host has no bus.
     *   GARRISON_ERR_PHASE        during plugin_init() or shutdown.
     */
    int32_t (*agent_send)(garrison_host *host, garrison_bytes agent_id,
        garrison_bytes payload_json);

    /*
     * register_auth_hook -- take part in operator sign-in (see "Auth hooks").
     *
     * Init only.
     *
     *   host     the plugin's handle.
     *   fn       called for each question; not NULL.
     *   user     passed to fn untouched; released with free_fn.
     *   free_fn  destructor for user, or NULL.
     *   out      receives the registration handle; may be NULL.
     *
     * Returns:
     *   GARRISON_OK           registered; free_fn will be called once.
     *   GARRISON_ERR_INVALID  fn NULL.
     *   GARRISON_ERR_PHASE    called outside plugin_init().
     */
    int32_t (*register_auth_hook)(garrison_host *host, garrison_auth_fn fn,
        void *user, garrison_free_fn free_fn, garrison_reg *out);

    /*
     * auth_complete -- answer an auth question. Exactly once per question.
     *
     * Any thread, while the handle is valid. Validity follows the rule of
     * call_respond, with the hook function in place of the route function.
     *
     *   call     the question.
     *   verdict  GARRISON_AUTH_*.
     *   data     JSON as described at the verdict; may be empty. Copied.
     *
     * Returns:
     *   GARRISON_OK              recorded.
     *   GARRISON_ERR_INVALID     unknown verdict, or data not JSON; nothing
     *                            recorded.
     *   GARRISON_ERR_PHASE       already answered.
     *   GARRISON_ERR_TIMEOUT     the host's auth deadline had passed; the
     *                            host already counted the hook as DENY.
     *   GARRISON_ERR_CANCELLED   the client went away or the plugin is
     *                            being disabled.
     */
    int32_t (*auth_complete)(garrison_auth_call *call, int32_t verdict,
        garrison_bytes data);

    /*
     * cancel -- ask for a pending async operation to stop. Its done callback
     * then runs with GARRISON_ERR_CANCELLED, unless it already ran or is
     * running; either way done runs exactly once.
     *
     * Any thread, including from inside done callbacks.
     *
     *   host   the plugin's handle.
     *   token  from a cancel_out; 0 is ignored.
     *
     * Returns:
     *   GARRISON_OK             cancellation requested.
     *   GARRISON_ERR_NOT_FOUND  unknown token, or the operation has already
     *                           completed. Harmless.
     */
    int32_t (*cancel)(garrison_host *host, uint64_t token);

    /* ---------------------------------------------------------------- 1.1 */

    /*
     * audit -- add an entry to the host's audit log. The host adds the time
     * and the plugin's name.
     *
     * Since ABI 1.1: test GARRISON_HAS(api, audit) first unless
     * min_host_minor >= 1. Any thread, once plugin_init() has returned.
     *
     *   host        the plugin's handle.
     *   entry_json  a JSON object: "action" (e.g. "hello-c.stored"),
     *               optional "username", "agent_id", "object" and
     *               "detail" (any JSON), and "ip", the client address
     *               the entry is about (a host older than this member
     *               ignores it). Copied.
     *
     * Returns:
     *   GARRISON_OK               queued for writing.
     *   GARRISON_ERR_INVALID      not an object, or no "action".
     *   GARRISON_ERR_UNAVAILABLE  the audit log cannot be written.
     *   GARRISON_ERR_PHASE        during plugin_init() or shutdown.
     */
    int32_t (*audit)(garrison_host *host, garrison_bytes entry_json);

    /*
     * call_param -- read one path parameter of a request, percent-decoded.
     * The same values as garrison_request.params_json, without parsing JSON.
     *
     * Since ABI 1.1: test GARRISON_HAS(api, call_param) first unless
     * min_host_minor >= 1. Any thread, while the call is valid, before
     * call_respond.
     *
     *   call  the request.
     *   name  the parameter's name as written in the pattern ("pk" for
     *         <pk> or <int:pk>). Borrowed for the call.
     *   out   receives the value; borrowed until call_respond is called.
     *         Set to the empty value on error.
     *
     * Returns:
     *   GARRISON_OK             found.
     *   GARRISON_ERR_NOT_FOUND  the route's pattern has no such parameter.
     *   GARRISON_ERR_INVALID    out is NULL.
     *   GARRISON_ERR_PHASE      call_respond was already called.
     */
    int32_t (*call_param)(garrison_call *call, garrison_bytes name,
        garrison_bytes *out);

    /*
     * register_route_scoped -- register_route, for a route that a limited
     * token may also call. A limited token (issued after an auth hook
     * answered GARRISON_AUTH_LIMITED) reaches only routes that list its
     * scope; this is how a 2FA plugin serves its enrollment routes to a user
     * who has not enrolled yet.
     *
     * Since ABI 1.1: test GARRISON_HAS(api, register_route_scoped) first
     * unless min_host_minor >= 1. Init only.
     *
     *   host          the plugin's handle.
     *   method        as for register_route. Copied.
     *   path_pattern  as for register_route. Copied.
     *   permission    as for register_route; the limited token must still
     *                 carry it. Copied.
     *   scopes_csv    the limited-token scopes allowed, comma-separated, e.g.
     *                 "2fa-enroll"; each [a-z0-9_-]{1,48}; spaces around
     *                 commas are ignored. Empty behaves like register_route.
     *                 Copied.
     *   fn            called for each request; not NULL.
     *   user          passed to fn untouched; released with free_fn.
     *   free_fn       destructor for user, or NULL.
     *   out           receives the registration handle; may be NULL.
     *
     * Returns as register_route; GARRISON_ERR_INVALID also for a malformed
     * scopes_csv.
     */
    int32_t (*register_route_scoped)(garrison_host *host,
        garrison_bytes method, garrison_bytes path_pattern,
        garrison_bytes permission, garrison_bytes scopes_csv,
        garrison_route_fn fn, void *user, garrison_free_fn free_fn,
        garrison_reg *out);

    /* ---- 1.2 ---- */

    /*
     * call_set_timeout -- give one call its own deadline, in place of the
     * host's plugins.call_timeout_ms. For routes that wait on something
     * slower than a usual request by design (a shell command with the
     * operator's own timeout, a script run with "wait"); the deadline
     * counts from this call, and a later call replaces it.
     *
     * Since ABI 1.2: test GARRISON_HAS(api, call_set_timeout) first unless
     * min_host_minor >= 2. Any thread, while the call is valid, before
     * call_respond; normally from the route function itself.
     *
     *   call        the request.
     *   timeout_ms  1 .. GARRISON_CALL_TIMEOUT_MAX_MS. When it passes the
     *               host answers 504, as with its own deadline.
     *
     * Returns:
     *   GARRISON_OK           the call now ends at the new deadline.
     *   GARRISON_ERR_INVALID  timeout_ms out of range; the old deadline
     *                         stands.
     *   GARRISON_ERR_PHASE    the call was already answered or timed out.
     */
    int32_t (*call_set_timeout)(garrison_call *call, uint32_t timeout_ms);

    /* ---- 1.3 ---- */

    /*
     * register_agent_member -- contribute one member to the operator's agent
     * object, by name: "winupdatepolicy" inside GET /agents/<agent_id>/,
     * a patch status in every row of GET /agents/, ...
     *
     * Since ABI 1.3: test GARRISON_HAS(api, register_agent_member) first
     * unless min_host_minor >= 3. Init only.
     *
     * The host asks the plugin through fn, a route function: the request
     * carries the operator's principal_json, request_id and source_ip, the
     * path "/agents/" and the method and body below; the plugin answers with
     * call_respond (or GARRISON_PENDING and call_respond later), within the
     * host's plugins.call_timeout_ms.
     *
     *   Read (method "GET"), once per object built, for every agent in it
     *   (a whole page of GET /agents/ in one call):
     *     body   {"agent_ids": ["..", ...]} -- agents the caller may see.
     *     answer 200 with a JSON object {"<agent_id>": <value>, ...}; an
     *            agent missing from it gets null. Any other answer, or
     *            none in time, gives null for every agent of the call and a
     *            log line: a member never fails the host's own route.
     *
     *   Write (method "PUT"), only with GARRISON_MEMBER_WRITABLE, when a PUT
     *   /agents/<agent_id>/ body (or its "agent" object) has the member:
     *     body   {"agent_id": "..", "value": <the member's value as sent>,
     *             "store": false | true}.
     *     First "store": false, after the host checked its own fields and
     *     before it stores anything: check the value only. A 4xx answer
     *     ends the PUT with that status and body (400 {"detail": ...}
     *     naming the field), and nothing is stored, neither the host's
     *     fields nor any member. Any other non-2xx answer is a 502.
     *     Then, once the host has stored its own fields and every member
     *     said yes, "store": true: check again and store. An answer other
     *     than 2xx then is logged and the PUT answers 502, naming the
     *     member (the host's fields stay stored).
     *     The member's answer body is not used; the PUT's answer reads the
     *     member again.
     *
     *   host     the plugin's handle.
     *   name     the member: [a-z][a-z0-9_]{0,47}, not a member the host
     *            itself renders ("hostname", "status", ...) and not taken by
     *            another plugin. Copied.
     *   flags    GARRISON_MEMBER_*, at least one of DETAIL and LIST.
     *   fn       called for each read and write; not NULL.
     *   user     passed to fn untouched; released with free_fn.
     *   free_fn  destructor for user, or NULL.
     *   out      receives the registration handle; may be NULL.
     *
     * Returns:
     *   GARRISON_OK            registered; free_fn will be called once.
     *   GARRISON_ERR_INVALID   bad name, no DETAIL or LIST flag, unknown
     *                          flag bits, fn NULL.
     *   GARRISON_ERR_CONFLICT  the host or another plugin has the member.
     *   GARRISON_ERR_PHASE     called outside plugin_init().
     */
    int32_t (*register_agent_member)(garrison_host *host, garrison_bytes name,
        uint32_t flags, garrison_route_fn fn, void *user,
        garrison_free_fn free_fn, garrison_reg *out);

    /* ---- 1.3: metrics ---- */

    /*
     * metric_add -- add to one of the plugin's counters on the host's
     * /metrics/ (Prometheus text format), for what an operator graphs or
     * alerts on: e.g. alert notifications sent, retried and failed, by
     * channel.
     *
     * The host exports the counter as garrison_plugin_<plugin>_<name>, the
     * plugin's name with '-' written '_': a plugin can neither write the
     * host's own metrics nor another plugin's. Counters only grow; they
     * start at 0 with the host process (Prometheus expects that reset).
     * Nothing is kept across restarts, and the call never waits.
     *
     * Since ABI 1.3: test GARRISON_HAS(api, metric_add) first unless
     * min_host_minor >= 3. Any thread, from plugin_init() (to show a
     * counter at 0 from the start) until plugin_shutdown() begins.
     *
     *   host         the plugin's handle.
     *   name         [a-z][a-z0-9_]{0,63}, ending in "_total" as Prometheus
     *                names counters: "notifications_sent_total". Copied.
     *   labels_json  a JSON object of at most 4 labels: each name
     *                [a-z][a-z0-9_]{0,31} (not starting with "__"), each
     *                value a string of at most 128 bytes, e.g.
     *                {"channel":"email"}. Empty or "{}" for none. A counter
     *                keeps the label names of its first call: later calls
     *                give the same names, with any values. Copied.
     *   delta        what to add, 0 .. INT64_MAX; 0 only makes the series
     *                appear (at 0).
     *
     * Returns:
     *   GARRISON_OK            added.
     *   GARRISON_ERR_INVALID   a bad name, labels_json not such an object,
     *                          label names other than the counter's first
     *                          ones, or delta above INT64_MAX.
     *   GARRISON_ERR_CONFLICT  the exported name is already another
     *                          plugin's (plugin "a_b" with "c_total" and
     *                          plugin "a" with "b_c_total").
     *   GARRISON_ERR_DENIED    a new series beyond GARRISON_METRIC_SERIES_MAX
     *                          for this plugin; existing series still count.
     *   GARRISON_ERR_PHASE     the plugin is shutting down.
     */
    int32_t (*metric_add)(garrison_host *host, garrison_bytes name,
        garrison_bytes labels_json, uint64_t delta);

    /* New members are appended here, in later minor versions only. */
} garrison_host_api;

/*
 * GARRISON_STRUCT_HAS(type, p, member) -- true when the struct *p, which
 * starts with uint32_t struct_size, is large enough to hold member. Use it for
 * members newer than the minor the other side is known to speak.
 *
 * GARRISON_HAS(api, member) -- true when the host's function table has member
 * and it is set: test it before calling a member newer than the plugin's
 * min_host_minor. Both evaluate their pointer argument more than once.
 *
 *     if (GARRISON_HAS(api, audit)) {
 *         api->audit(host, GARRISON_STR("{\"action\":\"hello-c.stored\"}"));
 *     }
 */
#define GARRISON_STRUCT_HAS(type, p, member)                                  \
    ((p)->struct_size >= offsetof(type, member) + sizeof(((type *) 0)->member))

#define GARRISON_HAS(api, member)                                             \
    ((api) != NULL                                                            \
     && GARRISON_STRUCT_HAS(garrison_host_api, api, member)                   \
     && (api)->member != NULL)


/* ===========================================================================
 *  The plugin descriptor
 * ======================================================================== */

/*
 * What a plugin is. Static, read-only data in the plugin, returned by the
 * entry function and read by the host before any plugin code except the entry
 * runs. Every pointer in it must point to static data that lives as long as
 * the process (the library is never unloaded).
 *
 * Begin the initializer with GARRISON_DESCRIPTOR_INIT and end it with
 * GARRISON_DESCRIPTOR_RESERVED; see Plugins/Examples/hello-c/hello.c.
 */
typedef struct garrison_plugin_descriptor {
    uint32_t     magic;             /* GARRISON_PLUGIN_MAGIC */
    uint32_t     struct_size;       /* sizeof(garrison_plugin_descriptor) */
    uint16_t     abi_major;         /* GARRISON_ABI_MAJOR built against */
    uint16_t     abi_minor;         /* GARRISON_ABI_MINOR built against */
    uint16_t     min_host_minor;    /* oldest host minor whose table this
                                       plugin needs without GARRISON_HAS;
                                       the host refuses to load the plugin
                                       if its own minor is lower */
    uint16_t     reserved0;         /* 0 */

    const char  *name;              /* NUL-terminated, [a-z0-9_-]{1,48},
                                       unique among loaded plugins; names
                                       the plugin in logs, routes' owner and
                                       its database schema. Static. */
    const char  *version;           /* NUL-terminated, free-form ("1.4.2").
                                       Static. */
    const char  *build_info;        /* NUL-terminated compiler and build
                                       notes ("gcc 12.2.0"). Swift plugins
                                       must start it with "swift-" and the
                                       exact toolchain version
                                       ("swift-6.3.1"): the host refuses a
                                       Swift plugin built by another
                                       toolchain. Static. */
    uint64_t     flags;             /* none defined; 0. Hosts ignore bits
                                       they do not know. */

    /*
     * plugin_init -- set the plugin up and register what it offers. Not NULL.
     *
     * Called once, on one host thread, after the load checks.
     *
     *   api        the host's function table. Valid for the life of the
     *              process; keep the pointer.
     *   host       the plugin's handle for every host call. Valid until
     *              plugin_shutdown() returns; keep the pointer.
     *   state_out  store any pointer here (initially NULL); the host passes
     *              it to plugin_shutdown() untouched and never reads it.
     *
     * Returns GARRISON_OK, or a negative code to refuse to start. See
     * LIFECYCLE step 2 for what the host does on failure.
     */
    int32_t    (*plugin_init)(const garrison_host_api *api,
                    garrison_host *host, void **state_out);

    /*
     * plugin_shutdown -- release the plugin's state. May be NULL.
     *
     * Called once, on one host thread, at LIFECYCLE step 5d -- after
     * dispatching stopped and every pending async operation completed, and
     * only if plugin_init() returned GARRISON_OK. Stop and join the plugin's
     * own threads here. May call log, and may still answer calls, jobs and
     * auth questions it holds (the answers report GARRISON_ERR_CANCELLED);
     * other host functions return GARRISON_ERR_PHASE. After it returns, the
     * plugin must not call the host again.
     *
     *   state  what plugin_init() stored in *state_out.
     */
    void       (*plugin_shutdown)(void *state);

    void        *reserved[4];       /* NULL */
} garrison_plugin_descriptor;

/*
 * GARRISON_DESCRIPTOR_INIT -- the first four members of a descriptor
 * initializer: magic, struct_size, abi_major, abi_minor.
 * GARRISON_DESCRIPTOR_RESERVED -- the last one: reserved.
 */
#define GARRISON_DESCRIPTOR_INIT                                              \
    GARRISON_PLUGIN_MAGIC,                                                    \
    (uint32_t) sizeof(garrison_plugin_descriptor),                            \
    GARRISON_ABI_MAJOR,                                                       \
    GARRISON_ABI_MINOR

#define GARRISON_DESCRIPTOR_RESERVED  { NULL, NULL, NULL, NULL }


/* ===========================================================================
 *  The entry point
 * ======================================================================== */

/*
 * garrison_plugin_entry_v1 -- the only symbol a plugin exports.
 *
 * Called by the host once, right after dlopen(), before anything else in the
 * plugin. Must not allocate, start threads, touch globals or call anything
 * with side effects: it only picks a descriptor.
 *
 *   host_major  the host's GARRISON_ABI_MAJOR.
 *   host_minor  the host's GARRISON_ABI_MINOR.
 *
 * Returns a pointer to a static descriptor, which must stay valid and
 * unchanged for the life of the process, or NULL to refuse this host (the
 * host logs the refusal and skips the plugin).
 */
GARRISON_EXPORT const garrison_plugin_descriptor *
garrison_plugin_entry_v1(uint16_t host_major, uint16_t host_minor);

/* The entry's type, for the host's dlsym(). */
typedef const garrison_plugin_descriptor *(*garrison_plugin_entry_fn)(
    uint16_t host_major, uint16_t host_minor);


#ifdef __cplusplus
}
#endif

#endif /* GARRISON_PLUGIN_H */
