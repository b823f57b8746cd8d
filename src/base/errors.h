/* errors — the one registry of API errors: code, HTTP status and default message (API.md).
 * Every error reply of the server is built from this list, so the set of codes a client can
 * see is exactly what is written here. Later modules add their codes to the list. */
#ifndef TGR_ERRORS_H
#define TGR_ERRORS_H

#define TGR_ERRORS(X)                                                                                        \
    X(ERR_INVALID_JSON, 400, "invalid_json", "The request body is not valid JSON.")                          \
    X(ERR_VALIDATION, 400, "validation_failed", "The request is not valid.")                                 \
    X(ERR_BAD_QUERY, 400, "invalid_query", "A query parameter is not valid.")                                \
    X(ERR_UNAUTHORIZED, 401, "unauthorized", "A valid bearer token or X-API-Key is required.")               \
    X(ERR_INVALID_CREDENTIALS, 401, "invalid_credentials", "Wrong email or password.")                       \
    X(ERR_NOT_FOUND, 404, "not_found", "Nothing is here.")                                                   \
    X(ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed", "This method is not allowed on this resource.")     \
    X(ERR_INVALID_STATE, 409, "invalid_state", "The resource is not in a state that allows this.")           \
    X(ERR_CONFLICT, 409, "conflict", "The request conflicts with existing data.")                            \
    X(ERR_PASSWORD_REQUIRED, 409, "password_required", "Two-step verification is on: send the password.")    \
    X(ERR_NO_LOGIN, 409, "invalid_state", "Start with POST /session/connect.")                               \
    X(ERR_NO_SESSION, 409, "no_session", "Connect a Telegram account first (POST /session/connect).")        \
    X(ERR_EMPTY_AUDIENCE, 409, "empty_audience", "No contact matches this campaign's filters.")              \
    X(ERR_EMPTY_POOL, 409, "discount_codes_empty", "The pool of discount codes is empty.")                   \
    X(ERR_PHONE_CODE_INVALID, 422, "phone_code_invalid", "The login code is wrong.")                         \
    X(ERR_PHONE_CODE_EXPIRED, 422, "phone_code_expired", "The login code expired; request a new one.")       \
    X(ERR_PASSWORD_INVALID, 422, "password_invalid", "The two-step verification password is wrong.")         \
    X(ERR_PHONE_INVALID, 422, "phone_number_invalid", "Telegram does not accept this phone number.")         \
    X(ERR_SESSION_INVALID, 422, "session_invalid", "Telegram rejected the session; connect again.")          \
    X(ERR_TELEGRAM_REFUSED, 422, "telegram_refused", "Telegram refused the request.")                        \
    X(ERR_TOO_LARGE, 413, "too_large", "The request body is too large.")                                     \
    X(ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type", "The Content-Type is not supported.")       \
    X(ERR_RATE_LIMITED, 429, "rate_limited", "Too many requests; retry later.")                              \
    X(ERR_BUSY, 429, "busy", "This account already has such work running; retry when it is done.")           \
    X(ERR_TOO_MANY_STREAMS, 429, "too_many_streams", "Too many live streams are open; close one first.")     \
    X(ERR_HEADERS_TOO_LARGE, 431, "headers_too_large", "The request's headers are too large.")               \
    X(ERR_INTERNAL, 500, "internal", "Something went wrong on our side; it has been logged.")                \
    X(ERR_UNAVAILABLE, 503, "unavailable", "The service is temporarily unavailable.")                        \
    X(ERR_TELEGRAM_UNAVAILABLE, 503, "telegram_unavailable", "The Telegram bridge is not available.")

enum err_code {
#define X(id, status, code, msg) id,
    TGR_ERRORS(X)
#undef X
        ERR__COUNT
};

/* The wire code ("validation_failed"), the HTTP status and the default message of an error. */
const char *err_code_str(enum err_code e);
unsigned err_status(enum err_code e);
const char *err_message(enum err_code e);

#endif
