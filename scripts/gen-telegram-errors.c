/* gen-telegram-errors — writes share/telegram-errors.json from the Telegram error registry
 * (src/core/tgerror.h) for the bridge and the web app: `make telegram-errors`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tgerror.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen-telegram-errors OUT.json\n");
        return 2;
    }
    char *text = tgerror_registry_json();
    if (!text) {
        fprintf(stderr, "gen-telegram-errors: out of memory\n");
        return 1;
    }
    FILE *f = fopen(argv[1], "w");
    int ok = f && fwrite(text, 1, strlen(text), f) == strlen(text);
    if (f && fclose(f) != 0) ok = 0;
    free(text);
    if (!ok) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
