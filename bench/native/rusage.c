/*
 * rusage: runs a command and reports the CPU and peak memory it used, so the benchmark
 * measures every client (Node or native) the same way, from outside.
 *
 * Usage: rusage CMD [ARGS...]
 * The command inherits stdin/stdout/stderr, so its output passes straight through. Once it
 * has exited, one line goes to stderr:
 *   rusage: user_s=U sys_s=S maxrss_kb=M exit=C
 * from getrusage(RUSAGE_CHILDREN): the command's CPU over all its threads, plus that of any
 * descendants it waited for; maxrss is the largest single process's peak RSS (not a sum).
 * exit is the command's exit code, or 128+N if signal N killed it; rusage exits with it too.
 * Like time(1), rusage ignores SIGINT/SIGQUIT while waiting, so a Ctrl-C that reaches both
 * still gets the command's figures reported. Exit 127 if the command cannot be run, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "Usage: %s CMD [ARGS...]\n", argv[0]);
        return 2;
    }

    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "rusage: fork: %s\n", strerror(errno));
        return 127;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "rusage: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }

    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);

    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "rusage: waitpid: %s\n", strerror(errno));
            return 127;
        }
    }

    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) < 0) {
        fprintf(stderr, "rusage: getrusage: %s\n", strerror(errno));
        return 127;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(stderr, "rusage: user_s=%ld.%06ld sys_s=%ld.%06ld maxrss_kb=%ld exit=%d\n", (long)ru.ru_utime.tv_sec,
            (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, ru.ru_maxrss, code);
    return code;
}
