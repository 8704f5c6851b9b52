// SPDX-License-Identifier: GPL-2.0
/* Prints the man page's OPTIONS section (scdoc) from loopstall's option table. */
#include "cli/option_table.h"

int main(void)
{
	options_manual(stdout);
	return 0;
}
