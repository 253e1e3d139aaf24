// hiredis 0.14 (Debian libhiredis-dev). Only RedisClient imports this module.
#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
