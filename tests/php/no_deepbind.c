/* Preloaded before libasan for `make php-asan`: PHP opens extensions with
 * RTLD_DEEPBIND (unless PHP itself was built with a sanitizer), which the ASan
 * runtime refuses. This drops that one flag and opens the library as asked
 * otherwise, through the next dlopen in line (ASan's). */
#define _GNU_SOURCE
#include <dlfcn.h>

void *dlopen(const char *file, int mode)
{
    static void *(*next)(const char *, int);
    if (!next)
        next = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    return next(file, mode & ~RTLD_DEEPBIND);
}
