#ifndef LOOPSTALL_OPTION_TABLE_H
#define LOOPSTALL_OPTION_TABLE_H
#include <stdio.h>

/*
 * Every option of loopstall, once: getopt's table, --help and the man
 * page's OPTIONS (build/loopstall.8) are made from this list, and each
 * default is parsed like a value given on the command line.
 */

/* getopt's value of an option without a letter; one with a letter uses it. */
enum option_key {
	OPT_JSON = 256,
	OPT_BTF,
	OPT_STACK_DEPTH,
	OPT_MAX_LOOPS,
	OPT_MAX_PROCESSES,
	OPT_REALTIME,
	OPT_NO_REALTIME,
	OPT_REQUEST_QUERY,
	OPT_CONTAINER,
	OPT_POD,
	OPT_CGROUP,
	OPT_KILL_AFTER,
	OPT_KILL_SIGNAL,
	OPT_KILL_GRACE,
	OPT_DRY_RUN,
	OPT_EXEC,
	OPT_EXEC_TIMEOUT,
	OPT_METRICS,
	OPT_LOG,
	OPT_LOG_MAX_SIZE,
	OPT_LOG_KEEP,
	OPT_SYSLOG,
	OPT_BATCH,
};

enum option_section { SECTION_TARGETS, SECTION_GENERAL, SECTION_ACTING, SECTION_TOP, SECTIONS };

struct option_spec {
	int key;	    /* a letter, or an option_key */
	const char *name;   /* the long name, without "--" */
	const char *arg;    /* its value's name ("DUR"); NULL: a flag */
	const char *def;    /* the default, as it would be typed; NULL: none */
	enum option_section section;
	const char *help;   /* --help: what it does, a line */
	const char *manual; /* the man page's paragraph; NULL: the page's TARGETS section has it */
};

extern const struct option_spec option_specs[];
extern const int option_count;

/* The option with that getopt value. */
const struct option_spec *option_spec(int key);
/* loopstall --help. */
void options_help(FILE *out);
/* The man page's OPTIONS section, in scdoc's syntax. */
void options_manual(FILE *out);

#endif
