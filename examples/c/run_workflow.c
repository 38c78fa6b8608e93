/*
 * Runs a workflow through libLoomC.so: loads it, sets widget values, validates, runs it while printing
 * ComfyUI's messages, then describes the images the output nodes received and prints the history entry.
 *
 *   cc examples/c/run_workflow.c -I Sources/CLoom/include -L .build/debug -lLoomC -Wl,-rpath,.build/debug \
 *      -o run_workflow
 *   ./run_workflow graphs/dashtailor-composite.yaml --input graphs/input --output output \
 *      --set crop_back x 10
 *
 * Options: --models DIR, --input DIR, --output DIR, --temp DIR, --no-disk-cache, --cache-none,
 * --set NODE INPUT JSON (repeatable), --quiet (no events), --bench N (time 25 batches of N more runs each with and
 * without an event callback, and print the best time per run and the cost per event).
 * Exit status as `loom run`: 0 success, 1 a node failed or the run was interrupted, 2 the workflow is invalid.
 */
#define _POSIX_C_SOURCE 200809L
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, loom_last_error());
    const char *json = loom_last_error_json();
    if (json) fprintf(stderr, "%s\n", json);
    return 2;
}

struct event_counts {
    int quiet;
    long events;
};

static void print_event(const loom_event *event, void *user_data) {
    struct event_counts *counts = user_data;
    counts->events += 1;
    if (counts->quiet) return;
    if (event->preview_rgb)
        printf("event %s %dx%d\n", event->type, event->preview_width, event->preview_height);
    else
        printf("event %s\n", event->json);
}

/* Batches each way in --bench; the fastest counts, since the machine's other work only ever adds time. */
#define BENCH_BATCHES 25

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Prints each image's shape and a checksum of its bytes. */
static int describe_images(const loom_result *result) {
    size_t count = 0;
    if (loom_result_image_count(result, &count) != LOOM_OK) return fail("loom_result_image_count");
    for (size_t index = 0; index < count; index++) {
        loom_image_info info;
        if (loom_result_image_info(result, index, &info) != LOOM_OK) return fail("loom_result_image_info");
        size_t size = (size_t)info.width * (size_t)info.height * (size_t)info.channels;
        unsigned char *pixels = malloc(size ? size : 1);
        if (!pixels) return 2;
        if (loom_result_read_image(result, index, LOOM_PIXELS_UINT8, pixels, size) != LOOM_OK) {
            free(pixels);
            return fail("loom_result_read_image");
        }
        unsigned long long sum = 0;
        for (size_t i = 0; i < size; i++) sum += pixels[i];
        printf("image %zu: node %s input %s batch %d: %dx%d, %d channels, byte sum %llu\n", index, info.node_id,
               info.input_name, info.batch_index, info.width, info.height, info.channels, sum);
        free(pixels);
    }
    return 0;
}

/* Seconds per run of `runs` runs. */
static double run_time(loom_engine *engine, loom_workflow *workflow, int runs, loom_event_callback on_event,
                       struct event_counts *counts) {
    double started = seconds_now();
    for (int i = 0; i < runs; i++) {
        loom_result *result;
        if (loom_run(engine, workflow, on_event, counts, &result) != LOOM_OK) return -1;
        loom_result_free(result);
    }
    return (seconds_now() - started) / runs;
}

/* Times runs of the workflow (cached, unless the cache is off) with and without an event callback, in alternating
 * batches, keeping the fastest batch of each: the machine's other work only ever adds time. */
static int bench(loom_engine *engine, loom_workflow *workflow, int runs) {
    struct event_counts counts = {1, 0};
    double plain = -1, observed = -1;
    for (int batch = 0; batch < BENCH_BATCHES; batch++) {
        double without = run_time(engine, workflow, runs, NULL, NULL);
        double with = run_time(engine, workflow, runs, print_event, &counts);
        if (without < 0 || with < 0) return fail("loom_run");
        if (plain < 0 || without < plain) plain = without;
        if (observed < 0 || with < observed) observed = with;
    }
    double events = (double)counts.events / ((double)BENCH_BATCHES * runs);
    printf("bench: %.1f us per run without events, %.1f us with %.0f events (%.2f us per event)\n", plain * 1e6,
           observed * 1e6, events, events > 0 ? (observed - plain) * 1e6 / events : 0.0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s WORKFLOW [--models DIR] [--input DIR] [--output DIR] [--temp DIR] "
                        "[--no-disk-cache] [--cache-none] [--set NODE INPUT JSON]... [--quiet] [--bench N]\n", argv[0]);
        return 2;
    }
    loom_engine_options options;
    loom_engine_options_init(&options);
    int quiet = 0, bench_runs = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--models") && i + 1 < argc) options.models_dir = argv[++i];
        else if (!strcmp(argv[i], "--input") && i + 1 < argc) options.input_dir = argv[++i];
        else if (!strcmp(argv[i], "--output") && i + 1 < argc) options.output_dir = argv[++i];
        else if (!strcmp(argv[i], "--temp") && i + 1 < argc) options.temp_dir = argv[++i];
        else if (!strcmp(argv[i], "--no-disk-cache")) options.disk_cache = 0;
        else if (!strcmp(argv[i], "--cache-none")) options.cache_policy = LOOM_CACHE_NONE;
        else if (!strcmp(argv[i], "--quiet")) quiet = 1;
        else if (!strcmp(argv[i], "--bench") && i + 1 < argc) bench_runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--set") && i + 3 < argc) i += 3; /* applied once the workflow is loaded */
        else {
            fprintf(stderr, "unknown or incomplete option %s\n", argv[i]);
            return 2;
        }
    }

    loom_engine *engine;
    if (loom_engine_create(&options, &engine) != LOOM_OK) return fail("loom_engine_create");
    loom_workflow *workflow;
    if (loom_workflow_load_file(engine, argv[1], &workflow) != LOOM_OK) return fail("loom_workflow_load_file");
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--set") != 0) continue;
        if (loom_workflow_set_input(workflow, argv[i + 1], argv[i + 2], argv[i + 3]) != LOOM_OK)
            return fail("loom_workflow_set_input");
        i += 3;
    }
    if (loom_validate(engine, workflow) != LOOM_OK) return fail("loom_validate");

    struct event_counts counts = {quiet, 0};
    loom_result *result = NULL;
    loom_status status = loom_run(engine, workflow, print_event, &counts, &result);
    int exit_status = 0;
    if (status == LOOM_ERROR_VALIDATION) return fail("loom_run");
    if (status != LOOM_OK) {
        fprintf(stderr, "loom_run: %s\n", loom_last_error());
        exit_status = 1;
    }
    if (result) {
        if (describe_images(result) != 0) exit_status = 2;
        char *history;
        if (loom_result_history_json(result, &history) == LOOM_OK) {
            printf("history %s\n", history);
            loom_free(history);
        }
        loom_result_free(result);
    }
    if (exit_status == 0 && bench_runs > 0) exit_status = bench(engine, workflow, bench_runs);
    loom_workflow_free(workflow);
    loom_engine_destroy(engine);
    return exit_status;
}
