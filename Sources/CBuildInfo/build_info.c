#include "CBuildInfo.h"

#ifndef DISCORD_WORKER_GIT_COMMIT
#define DISCORD_WORKER_GIT_COMMIT "unknown"
#endif

const char *cbuildinfo_git_commit(void) { return DISCORD_WORKER_GIT_COMMIT; }
