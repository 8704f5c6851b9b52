#ifndef LOOPSTALL_REPORT_H
#define LOOPSTALL_REPORT_H

/*
 * loopstall report [OPTIONS] [FILE...]: the culprits of the stalls in
 * --log files, by total stall time (man page: LOOPSTALL REPORT). argv[0] is
 * "report". Returns the exit code.
 */
int report_main(int argc, char **argv);

#endif
