/* Baseline for `make bench`: read every *.yaml file under a folder and run libyaml's event parser over it,
 * doing nothing with the events. This is the floor any YAML tool built on libyaml pays. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

static long events = 0, failures = 0, files = 0;

static void parse_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { failures++; return; }
    struct stat st;
    fstat(fileno(f), &st);
    unsigned char *buf = malloc((size_t)st.st_size + 1);
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, buf, n);
    yaml_event_t event;
    for (;;) {
        if (!yaml_parser_parse(&parser, &event)) { failures++; break; }
        int done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
        events++;
        if (done) break;
    }
    yaml_parser_delete(&parser);
    free(buf);
    files++;
}

static void walk(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = strlen(e->d_name);
        if (e->d_type == DT_DIR) walk(path);
        else if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) parse_file(path);
    }
    closedir(d);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) walk(argv[i]);
    printf("%ld files, %ld events, %ld failures\n", files, events, failures);
    return failures ? 1 : 0;
}
