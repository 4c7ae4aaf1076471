// libcurl for the meshcentral plugin: one HTTP GET (the mesh agent installer from
// MeshCentral). curl_easy_setopt is variadic, which Swift cannot call, hence this function.
#ifndef GARRISON_CMESHCURL_SHIM_H
#define GARRISON_CMESHCURL_SHIM_H
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

typedef struct { unsigned char *data; size_t len; size_t cap; size_t limit; int over; } mcurl_buf;

static size_t mcurl_write(char *ptr, size_t size, size_t nmemb, void *userp) {
    mcurl_buf *b = (mcurl_buf *)userp;
    size_t n = size * nmemb;
    if (b->len + n > b->limit) { b->over = 1; return 0; }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1 << 16;
        while (cap < b->len + n) cap *= 2;
        unsigned char *grown = (unsigned char *)realloc(b->data, cap);
        if (!grown) return 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

static inline void mcurl_global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }
static inline const char *mcurl_strerror(int code) { return curl_easy_strerror((CURLcode)code); }

// GETs `url` into out (data malloc-ed, the caller frees it; at most out->limit bytes, else
// out->over is set and the transfer stops), all of it within timeout_ms. Returns the CURLcode;
// *status gets the HTTP status.
static inline int mcurl_get(const char *url, long timeout_ms, int verify, mcurl_buf *out, long *status, char *errbuf) {
    errbuf[0] = 0;
    *status = 0;
    CURL *h = curl_easy_init();
    if (!h) return CURLE_FAILED_INIT;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, mcurl_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    return (int)rc;
}
#endif
