/* Launcher for `make bench`: runs a command and writes its peak resident memory (KiB) to a file.
 * Measuring through this small process matters on Linux: a child's peak RSS starts from the peak of the process
 * that forked it, so a command forked by the (large) Python driver would report Python's memory as its own.
 *
 * With PEAK_RSS_IO=FILE in the environment, the child's /proc/<pid>/io (rchar, wchar, write_bytes…: what the
 * command itself read and wrote, whole process) is copied to FILE as well. It is read once the child has exited
 * but before it is reaped (waitid with WNOWAIT), so the counters are final. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void copy_io(pid_t pid, const char *target) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
    FILE *in = fopen(path, "r");
    FILE *out = fopen(target, "w");
    if (in && out) {
        char buffer[4096];
        size_t n;
        while ((n = fread(buffer, 1, sizeof buffer, in)) > 0) fwrite(buffer, 1, n, out);
    }
    if (in) fclose(in);
    if (out) fclose(out);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: peak_rss OUTFILE COMMAND [ARG...]\n"); return 2; }
    const char *io_file = getenv("PEAK_RSS_IO");
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 2; }
    if (pid == 0) { unsetenv("PEAK_RSS_IO"); execvp(argv[2], argv + 2); perror("exec"); _exit(127); }
    if (io_file) {
        siginfo_t info;
        if (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) == 0) copy_io(pid, io_file);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) { perror("wait4"); return 2; }
    FILE *out = fopen(argv[1], "w");
    if (out) { fprintf(out, "%ld\n", usage.ru_maxrss); fclose(out); }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
