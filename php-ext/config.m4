dnl The dargah extension links libdargah (include/dargah.h).
dnl   phpize && ./configure && make                  libdargah found with pkg-config (set PKG_CONFIG_PATH)
dnl   ./configure --with-dargah=/usr/local           or under a prefix (include/dargah.h, lib/libdargah.so)

PHP_ARG_WITH([dargah],
  [for dargah support],
  [AS_HELP_STRING([[--with-dargah[=DIR]]],
    [Dargah payment gateways. DIR: the prefix libdargah is installed in; default: pkg-config dargah])],
  [yes])

if test "$PHP_DARGAH" != "no"; then
  if test "$PHP_DARGAH" = "yes"; then
    PKG_CHECK_MODULES([DARGAH], [dargah >= 0.1],, [AC_MSG_ERROR([libdargah not found by pkg-config: install it (make install PREFIX=...), set PKG_CONFIG_PATH=PREFIX/lib/pkgconfig, or pass --with-dargah=PREFIX])])
    PHP_EVAL_INCLINE([$DARGAH_CFLAGS])
    PHP_EVAL_LIBLINE([$DARGAH_LIBS], [DARGAH_SHARED_LIBADD])
    DARGAH_LIBDIR=`$PKG_CONFIG --variable=libdir dargah`
  else
    if test ! -r "$PHP_DARGAH/include/dargah.h"; then
      AC_MSG_ERROR([$PHP_DARGAH/include/dargah.h not found])
    fi
    PHP_ADD_INCLUDE([$PHP_DARGAH/include])
    DARGAH_LIBDIR="$PHP_DARGAH/lib"
  fi
  dnl The run-time path too, so a prefix the loader does not search works.
  PHP_ADD_LIBRARY_WITH_PATH([dargah], [$DARGAH_LIBDIR], [DARGAH_SHARED_LIBADD])

  PHP_CHECK_LIBRARY([dargah], [dargah_client_call], [],
    [AC_MSG_ERROR([libdargah in $DARGAH_LIBDIR lacks dargah_client_call: too old])],
    [-L$DARGAH_LIBDIR])

  PHP_SUBST([DARGAH_SHARED_LIBADD])
  PHP_NEW_EXTENSION([dargah],
    [dargah.c dargah_client.c dargah_errors.c dargah_json.c dargah_log.c dargah_values.c],
    [$ext_shared],, [-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers])
fi
