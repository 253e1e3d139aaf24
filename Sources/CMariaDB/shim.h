#ifndef CMARIADB_SHIM_H
#define CMARIADB_SHIM_H
// MariaDB Connector/C (Debian libmariadb-dev). Its core API has no variadic functions, so no
// wrappers are needed; MariaDBClient is the only Swift target that imports this module.
#include <mysql.h>
#endif
