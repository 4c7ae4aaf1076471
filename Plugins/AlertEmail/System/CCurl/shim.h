// libcurl for the alert channel plugins. curl_easy_setopt is variadic, which Swift cannot call,
// so what the plugins need -- send one message over SMTP (alert_email), make one HTTP request
// (alert_sms: Twilio's Messages API) -- is a small C function each.
#ifndef GARRISON_CCURL_SHIM_H
#define GARRISON_CCURL_SHIM_H
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *data; size_t len; size_t pos; } ccurl_upload;
typedef struct { char *buf; size_t cap; } ccurl_reply;

static size_t ccurl_read(char *ptr, size_t size, size_t nmemb, void *userp) {
    ccurl_upload *u = (ccurl_upload *)userp;
    size_t room = size * nmemb, left = u->len - u->pos;
    size_t n = left < room ? left : room;
    memcpy(ptr, u->data + u->pos, n);
    u->pos += n;
    return n;
}

// Keeps the server's last 4xx/5xx reply line: the error to record (the 221 of the QUIT that
// follows a refusal does not overwrite it).
static int ccurl_debug(CURL *h, curl_infotype type, char *data, size_t size, void *userp) {
    (void)h;
    if (type != CURLINFO_HEADER_IN || size == 0 || (data[0] != '4' && data[0] != '5')) return 0;
    ccurl_reply *r = (ccurl_reply *)userp;
    size_t n = size < r->cap - 1 ? size : r->cap - 1;
    memcpy(r->buf, data, n);
    r->buf[n] = 0;
    while (n > 0 && (r->buf[n - 1] == '\r' || r->buf[n - 1] == '\n')) r->buf[--n] = 0;
    return 0;
}

static inline void ccurl_global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static inline const char *ccurl_strerror(int code) { return curl_easy_strerror((CURLcode)code); }

// Sends `data` (a whole message, CRLF lines) from `from` to the '\n'-separated `rcpts`.
// tls: 0 none, 1 STARTTLS required, 2 implicit TLS (an smtps:// url). login_options e.g.
// "AUTH=PLAIN"; empty lets libcurl choose. Returns the CURLcode; on failure errbuf
// (CURL_ERROR_SIZE bytes) holds libcurl's message and reply the server's refusal, if any.
//
// `session`: a handle from ccurl_session_new() to send a burst over one connection (libcurl
// keeps it open between sends on the same handle, each send then one MAIL/RCPT/DATA
// transaction), or NULL for a connection of its own, closed after the send.
static inline int ccurl_smtp_send_on(void *session, const char *url, int tls, int verify, const char *ca_file, const char *user,
                                     const char *pass, const char *login_options, const char *from, const char *rcpts,
                                     const char *data, size_t len, long timeout_s, char *errbuf, char *reply, size_t reply_cap) {
    errbuf[0] = 0;
    reply[0] = 0;
    CURL *h = session ? (CURL *)session : curl_easy_init();
    if (!h) return CURLE_FAILED_INIT;
    // Options of the previous send go; the open connection stays in the handle's cache.
    if (session) curl_easy_reset(h);
    struct curl_slist *list = NULL;
    char *copy = strdup(rcpts), *save = NULL;
    for (char *r = strtok_r(copy, "\n", &save); r; r = strtok_r(NULL, "\n", &save)) list = curl_slist_append(list, r);
    free(copy);
    ccurl_upload up = {data, len, 0};
    ccurl_reply rep = {reply, reply_cap};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (tls == 1) curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (!verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (ca_file && *ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    if (user && *user) {
        curl_easy_setopt(h, CURLOPT_USERNAME, user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, pass);
    }
    if (login_options && *login_options) curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, login_options);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, list);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ccurl_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &up);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, ccurl_debug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &rep);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(list);
    // The handle must not keep pointers to this call's buffers past it.
    if (session) {
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, NULL);
        curl_easy_setopt(h, CURLOPT_DEBUGDATA, NULL);
        curl_easy_setopt(h, CURLOPT_READDATA, NULL);
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
    } else {
        curl_easy_cleanup(h);
    }
    return (int)rc;
}

static inline int ccurl_smtp_send(const char *url, int tls, int verify, const char *ca_file, const char *user, const char *pass,
                                  const char *login_options, const char *from, const char *rcpts, const char *data, size_t len,
                                  long timeout_s, char *errbuf, char *reply, size_t reply_cap) {
    return ccurl_smtp_send_on(NULL, url, tls, verify, ca_file, user, pass, login_options, from, rcpts, data, len, timeout_s, errbuf,
                              reply, reply_cap);
}

// A handle that keeps its connection between sends (ccurl_smtp_send_on); ccurl_session_free
// closes it (SMTP QUIT). One thread at a time.
static inline void *ccurl_session_new(void) { return curl_easy_init(); }
static inline void ccurl_session_free(void *session) { if (session) curl_easy_cleanup((CURL *)session); }

typedef struct { char *buf; size_t cap; size_t len; } ccurl_body;

// Keeps the first cap-1 bytes of the answer's body (NUL-terminated); the rest is read and dropped.
static size_t ccurl_write(char *ptr, size_t size, size_t nmemb, void *userp) {
    ccurl_body *b = (ccurl_body *)userp;
    size_t n = size * nmemb;
    size_t room = b->cap - 1 - b->len;
    size_t take = n < room ? n : room;
    memcpy(b->buf + b->len, ptr, take);
    b->len += take;
    b->buf[b->len] = 0;
    return n;
}

// One HTTP request: `method` ("POST", "GET", ...) to `url` (http or https only, redirects
// not followed), HTTP Basic auth when `user` is set, the '\n'-separated `headers`, `body` of
// `len` bytes (sent for any method when len > 0). Returns the CURLcode; *status is the
// HTTP status (0 when none came), `answer` (answer_cap bytes) the start of the body, errbuf
// (CURL_ERROR_SIZE bytes) libcurl's message on failure.
// `session`: a handle from ccurl_session_new() whose connection is kept for the next request
// to the same host (its options are reset first), or NULL for a handle of this request only.
static inline int ccurl_http_on(void *session, const char *method, const char *url, const char *user, const char *pass,
                                const char *headers, const char *body, size_t len, long timeout_s, long *status, char *answer,
                                size_t answer_cap, char *errbuf) {
    errbuf[0] = 0;
    answer[0] = 0;
    *status = 0;
    CURL *h = session ? (CURL *)session : curl_easy_init();
    if (!h) return CURLE_FAILED_INIT;
    if (session) curl_easy_reset(h);
    struct curl_slist *list = NULL;
    char *copy = strdup(headers ? headers : ""), *save = NULL;
    for (char *r = strtok_r(copy, "\n", &save); r; r = strtok_r(NULL, "\n", &save)) list = curl_slist_append(list, r);
    free(copy);
    ccurl_body out = {answer, answer_cap, 0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (user && *user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, pass);
    }
    if (list) curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    if (len > 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ccurl_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(list);
    if (!session) curl_easy_cleanup(h);
    return (int)rc;
}

static inline int ccurl_http(const char *method, const char *url, const char *user, const char *pass, const char *headers,
                             const char *body, size_t len, long timeout_s, long *status, char *answer, size_t answer_cap,
                             char *errbuf) {
    return ccurl_http_on(NULL, method, url, user, pass, headers, body, len, timeout_s, status, answer, answer_cap, errbuf);
}
#endif
