/*
 * The dargah PHP extension: Iranian payment gateways with verify-once
 * callback handling, on libdargah (include/dargah.h). Guide: docs/php.md.
 */
#ifndef PHP_DARGAH_H
#define PHP_DARGAH_H

#include <dargah.h>

extern zend_module_entry dargah_module_entry;
#define phpext_dargah_ptr &dargah_module_entry

/* The extension is versioned with the library it is built against. */
#define PHP_DARGAH_VERSION DARGAH_VERSION

#endif
