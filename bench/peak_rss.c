/* Launcher for `make bench`: runs a command and writes its peak resident memory (KiB) to a file.
 * Measuring through this small process matters on Linux: a child's peak RSS starts from the peak of the process
 * that forked it, so a command forked by the (large) Python driver would report Python's memory as its own. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: peak_rss OUTFILE COMMAND [ARG...]\n"); return 2; }
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 2; }
    if (pid == 0) { execvp(argv[2], argv + 2); perror("exec"); _exit(127); }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) { perror("wait4"); return 2; }
    FILE *out = fopen(argv[1], "w");
    if (out) { fprintf(out, "%ld\n", usage.ru_maxrss); fclose(out); }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
