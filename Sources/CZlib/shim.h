// zlib 1.2.13 (Debian zlib1g-dev). Only ZlibInflate imports this module.
//
// inflateInit is a macro (it passes ZLIB_VERSION and sizeof(z_stream) to inflateInit_), which Swift cannot
// call: czlib_inflate_init is that macro as a function.
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

static inline int czlib_inflate_init(z_streamp stream) { return inflateInit(stream); }
#endif
