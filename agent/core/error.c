/* error.c - words for the agent's error codes (error.h). */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *ts_strerror(int err)
{
    switch (err) {
    case TS_OK:
        return "ok";
    case TS_EINVAL:
        return "invalid input";
    case TS_ENOMEM:
        return "out of memory";
    case TS_EIO:
        return "disk or system error";
    case TS_EFULL:
        return "buffer full";
    case TS_ECONFLICT:
        return "same id with other content";
    case TS_ENOTFOUND:
        return "not found";
    case TS_EFORMAT:
        return "store format not understood by this version";
    case TS_ETIMEDOUT:
        return "timed out";
    case TS_ECONN:
        return "connection failed";
    case TS_ETLS:
        return "TLS failure";
    case TS_EPROTO:
        return "protocol error";
    case TS_ETOOBIG:
        return "too large";
    case TS_ECANCELED:
        return "canceled";
    default:
        return "unknown error";
    }
}

const char *ts_errorf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return err;
}
