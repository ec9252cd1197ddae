/*
 * launcher.h - which build runs (update.md "Supervision"). The packaged
 * binary is the launcher: before any agent code it looks at
 * data_dir/current and execs that installed version when it is higher than
 * itself and not marked bad; an installed version never execs further; a
 * package upgrade to a version at least as high wins. It counts a version's
 * starts on probation in data_dir before it execs it, so a build that
 * crashes before running any code of its own is counted too, and after
 * update.max_probation_starts such starts it rolls the version back.
 *
 * Environment between the two: TILLSYNC_LAUNCHER (the launcher's own path,
 * which a restart execs again) and TILLSYNC_INSTALLED (set in an installed
 * version: it never execs further).
 */
#ifndef TILLSYNC_LAUNCHER_H
#define TILLSYNC_LAUNCHER_H

/* Returns only when this binary runs the agent itself. */
void ts_launcher_choose(char **argv, const char *config_path);

#endif
