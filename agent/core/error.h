/*
 * error.h - the agent's error codes.
 *
 * Like libuv, every function that can fail returns 0 on success or one of
 * these negative codes; ts_strerror() turns one into words for a log line.
 */
#ifndef TILLSYNC_ERROR_H
#define TILLSYNC_ERROR_H

#include <stddef.h>

enum {
    TS_OK = 0,
    TS_EINVAL = -1,    /* bad argument or bad input */
    TS_ENOMEM = -2,    /* out of memory */
    TS_EIO = -3,       /* disk or OS error */
    TS_EFULL = -4,     /* buffer full: pending limit or LMDB map nearly full */
    TS_ECONFLICT = -5, /* same id, other content */
    TS_ENOTFOUND = -6, /* no such record */
    TS_EFORMAT = -7,   /* store format this build does not understand */
    TS_ETIMEDOUT = -8, /* a time-out expired */
    TS_ECONN = -9,     /* connection refused, reset or closed */
    TS_ETLS = -10,     /* TLS handshake or certificate failure */
    TS_EPROTO = -11,   /* peer broke the protocol */
    TS_ETOOBIG = -12,  /* input over its size bound */
    TS_ECANCELED = -13 /* operation canceled (shutdown) */
};

const char *ts_strerror(int err);

/* printf into an error buffer of errlen bytes (err may be NULL), cut to
 * fit: the one helper every module uses for "say why" messages. Returns
 * err, so a message can be built where it is passed on. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
const char *
ts_errorf(char *err, size_t errlen, const char *fmt, ...);

#endif
