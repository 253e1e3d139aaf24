// The git commit discord-worker was built from. Only DiscordWorkerCLI imports this module.
//
// Package.swift passes DISCORD_WORKER_GIT_COMMIT (read from the environment of `swift build`, e.g. set
// by deploy/package.sh or the Dockerfile) as a C string macro: a macro cannot reach Swift code as a
// string, a C function can. Without it the commit is "unknown" (development builds).
#ifndef CBUILDINFO_H
#define CBUILDINFO_H

const char *cbuildinfo_git_commit(void);

#endif
