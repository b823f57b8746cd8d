/* phone — E.164 normalisation and masking; see phone.h. */
#include "core/phone.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

int phone_normalize(const char *in, char *out, size_t cap)
{
    char digits[32];
    size_t n = 0;
    if (!in || cap < 17) return TGR_ERR;
    const char *p = in;
    while (*p == ' ')
        p++;
    if (*p == '+') p++;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n >= 15) return TGR_ERR;
            digits[n++] = *p;
        } else if (!strchr(" -.()", *p)) {
            return TGR_ERR;
        }
    }
    if (n < 7 || digits[0] == '0') return TGR_ERR;
    out[0] = '+';
    memcpy(out + 1, digits, n);
    out[n + 1] = 0;
    return TGR_OK;
}

void phone_mask(const char *e164, char *out, size_t cap)
{
    size_t n = strlen(e164);
    if (n <= 9) {
        snprintf(out, cap, "%.3s***", e164);
        return;
    }
    snprintf(out, cap, "%.5s***%s", e164, e164 + n - 4);
}
