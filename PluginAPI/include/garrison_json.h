/*
 * garrison_json.h -- an optional JSON helper for Garrison plugins written in C.
 *
 * NOT part of the plugin ABI. garrison_plugin.h is the ABI and the only header
 * the host's compatibility promise covers; this file is a convenience that a
 * plugin compiles into itself (every function is static inline), so changing
 * it never affects a plugin already built. Copy it, or include it from here.
 *
 * The host hands a plugin JSON in a few places (settings(), params_json,
 * query_json, event payloads) and takes JSON back in responses. For the
 * common small cases a C plugin needs two things, and that is all this file
 * does:
 *
 *   garrison_json_string(json, len, "key")   the string value of "key" in a
 *                                            top-level object, decoded and
 *                                            NUL-terminated (caller frees),
 *                                            or NULL
 *   garrison_json_escape(s, len)             s as the inside of a JSON string
 *                                            literal (caller frees), or NULL
 *
 * For anything larger (nested objects, numbers, arrays), use a real JSON
 * library. Plain C11, no dependencies beyond the C library; the functions
 * named garrison_json_skip_* / _decode / _hex4 are its internals.
 *
 * Input is untrusted: every read is bounds-checked against len, a malformed
 * document gives NULL, and a string holding \u0000 gives NULL rather than a
 * silently truncated C string.
 */

#ifndef GARRISON_JSON_H
#define GARRISON_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static inline const uint8_t *
garrison_json_skip_ws(const uint8_t *p, const uint8_t *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
    }

    return p;
}


/* p points at an opening quote; returns the byte after the closing one. */
static inline const uint8_t *
garrison_json_skip_string(const uint8_t *p, const uint8_t *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            p++;
        } else if (*p == '"') {
            return p + 1;
        }
    }

    return NULL;
}


/* Skips one value; returns the ',' or closing bracket that ends it. */
static inline const uint8_t *
garrison_json_skip_value(const uint8_t *p, const uint8_t *end)
{
    size_t  depth = 0;

    while (p < end) {
        switch (*p) {

        case '"':
            p = garrison_json_skip_string(p, end);
            if (p == NULL) {
                return NULL;
            }
            break;

        case '{':
        case '[':
            depth++;
            p++;
            break;

        case '}':
        case ']':
            if (depth == 0) {
                return p;
            }
            depth--;
            p++;
            break;

        case ',':
            if (depth == 0) {
                return p;
            }
            p++;
            break;

        default:
            p++;
            break;
        }
    }

    return NULL;
}


/* Four hex digits at p into *out; -1 if they are not hex. */
static inline int
garrison_json_hex4(const uint8_t *p, uint32_t *out)
{
    int       i;
    uint32_t  c, v = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            v = (v << 4) | (c - '0');
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v = (v << 4) | ((c | 0x20) - 'a' + 10);
        } else {
            return -1;
        }
    }

    *out = v;
    return 0;
}


/* p points at an opening quote; decodes escapes, \uXXXX to UTF-8. */
static inline char *
garrison_json_decode(const uint8_t *p, const uint8_t *end)
{
    char           *out, *o;
    uint32_t        cp, lo;
    const uint8_t  *close;

    close = garrison_json_skip_string(p, end);
    if (close == NULL) {
        return NULL;
    }

    out = (char *) malloc((size_t) (close - p));    /* decoding never grows */
    if (out == NULL) {
        return NULL;
    }

    o = out;

    for (p++; p < close - 1; p++) {
        if (*p != '\\') {
            *o++ = (char) *p;
            continue;
        }

        p++;

        switch (*p) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;

        case 'u':
            if (close - 1 - p < 5 || garrison_json_hex4(p + 1, &cp) != 0) {
                goto invalid;
            }
            p += 4;

            if (cp >= 0xD800 && cp <= 0xDBFF) {
                /* A high surrogate must be followed by \uDC00..\uDFFF. */
                if (close - 1 - p < 7 || p[1] != '\\' || p[2] != 'u'
                    || garrison_json_hex4(p + 3, &lo) != 0
                    || lo < 0xDC00 || lo > 0xDFFF)
                {
                    goto invalid;
                }

                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;

            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto invalid;
            }

            if (cp < 0x80) {
                *o++ = (char) cp;
            } else if (cp < 0x800) {
                *o++ = (char) (0xC0 | (cp >> 6));
                *o++ = (char) (0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char) (0xE0 | (cp >> 12));
                *o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char) (0x80 | (cp & 0x3F));
            } else {
                *o++ = (char) (0xF0 | (cp >> 18));
                *o++ = (char) (0x80 | ((cp >> 12) & 0x3F));
                *o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char) (0x80 | (cp & 0x3F));
            }
            break;

        default:                       /* '"', '\\', '/' */
            *o++ = (char) *p;
            break;
        }
    }

    *o = '\0';

    if (memchr(out, '\0', (size_t) (o - out)) != NULL) {
        goto invalid;                  /* \u0000 would truncate C strings */
    }

    return out;

invalid:

    free(out);
    return NULL;
}


/*
 * The string value of key in the top-level object of json[0..len), decoded
 * and NUL-terminated (caller frees), or NULL if absent, not a string, or the
 * document is malformed. Keys written with escapes never match, which is fine
 * for the plain ASCII keys of settings and path parameters.
 */
static inline char *
garrison_json_string(const uint8_t *json, size_t len, const char *key)
{
    size_t          klen = strlen(key);
    const uint8_t  *p, *end, *kstart, *kend;

    if (json == NULL) {
        return NULL;
    }

    p = json;
    end = json + len;

    p = garrison_json_skip_ws(p, end);
    if (p == end || *p != '{') {
        return NULL;
    }

    p = garrison_json_skip_ws(p + 1, end);

    while (p < end && *p == '"') {
        kstart = p + 1;
        kend = garrison_json_skip_string(p, end);
        if (kend == NULL) {
            return NULL;
        }

        p = garrison_json_skip_ws(kend, end);
        if (p == end || *p != ':') {
            return NULL;
        }

        p = garrison_json_skip_ws(p + 1, end);

        if ((size_t) (kend - 1 - kstart) == klen
            && memcmp(kstart, key, klen) == 0)
        {
            return (p < end && *p == '"') ? garrison_json_decode(p, end) : NULL;
        }

        p = garrison_json_skip_value(p, end);
        if (p == NULL) {
            return NULL;
        }

        p = garrison_json_skip_ws(p, end);
        if (p < end && *p == ',') {
            p = garrison_json_skip_ws(p + 1, end);
        }
    }

    return NULL;
}


/* s as the inside of a JSON string literal, NUL-terminated (caller frees). */
static inline char *
garrison_json_escape(const uint8_t *s, size_t len)
{
    char    *out, *o;
    size_t   i;

    if (len > (SIZE_MAX - 1) / 6) {
        return NULL;
    }

    out = (char *) malloc(len * 6 + 1);    /* worst case: every byte \u00XX */
    if (out == NULL) {
        return NULL;
    }

    o = out;

    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '"':  *o++ = '\\'; *o++ = '"';  break;
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\n': *o++ = '\\'; *o++ = 'n';  break;
        case '\r': *o++ = '\\'; *o++ = 'r';  break;
        case '\t': *o++ = '\\'; *o++ = 't';  break;

        default:
            if (s[i] < 0x20) {
                o += snprintf(o, 7, "\\u%04x", (unsigned) s[i]);
            } else {
                *o++ = (char) s[i];
            }
            break;
        }
    }

    *o = '\0';
    return out;
}

#endif /* GARRISON_JSON_H */
