/* errors — lookups into the registry of errors.h. */
#include "base/errors.h"

static const struct {
    unsigned status;
    const char *code;
    const char *msg;
} registry[] = {
#define X(id, status, code, msg) [id] = {status, code, msg},
    TGR_ERRORS(X)
#undef X
};

const char *err_code_str(enum err_code e)
{
    return e < ERR__COUNT ? registry[e].code : "internal";
}

unsigned err_status(enum err_code e)
{
    return e < ERR__COUNT ? registry[e].status : 500;
}

const char *err_message(enum err_code e)
{
    return e < ERR__COUNT ? registry[e].msg : "internal";
}
