/* tz — zone name validation; see tz.h. A name is valid when /usr/share/zoneinfo holds a TZif
 * file of that name (Debian's tzdata), which is also what localtime conversions will use. */
#include "core/tz.h"

#include <stdio.h>
#include <string.h>

int tz_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '/' || strstr(name, "..")) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
              c == '_' || c == '-' || c == '+'))
            return 0;
    }
    if (strcmp(name, "UTC") == 0) return 1;
    /* Files of the zoneinfo directory that are not zone names. */
    if (!strcmp(name, "localtime") || !strcmp(name, "posixrules") || !strcmp(name, "Factory") ||
        !strncmp(name, "posix/", 6) || !strncmp(name, "right/", 6))
        return 0;
    char path[128], magic[4];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(magic, 1, 4, f);
    fclose(f);
    return got == 4 && memcmp(magic, "TZif", 4) == 0;
}
