/*
 * loom.h — the C API of Loom, a headless executor of ComfyUI workflows (libLoomC.so).
 *
 * An engine loads workflows (API JSON, UI JSON, YAML, or a PNG that embeds one), validates them with ComfyUI's
 * node_errors, and runs them, reporting ComfyUI's WebSocket messages to a callback while they run. A run's result
 * gives the images its output nodes received as pixel buffers and ComfyUI's history entry as JSON.
 *
 *     loom_engine_options options;
 *     loom_engine_options_init(&options);
 *     options.models_dir = "graphs/models";
 *     loom_engine *engine;
 *     if (loom_engine_create(&options, &engine) != LOOM_OK) { puts(loom_last_error()); return 1; }
 *     loom_workflow *workflow;
 *     loom_workflow_load_file(engine, "graphs/hello-strings.yaml", &workflow);
 *     loom_result *result;
 *     loom_run(engine, workflow, NULL, NULL, &result);
 *
 * ERRORS. Every function that can fail returns a loom_status. When it is not LOOM_OK, loom_last_error() describes
 * it (naming the node, the input and what was expected where that applies) and loom_last_error_json() gives
 * ComfyUI's JSON for it where ComfyUI has one: {"error", "node_errors"} for LOOM_ERROR_VALIDATION, the
 * execution_error message's data for LOOM_ERROR_EXECUTION. Both are kept per thread and stay valid until the next
 * Loom call on the same thread. Bad input (NULL pointers, unknown or freed handles, malformed JSON, invalid
 * workflows, missing files) is reported this way; it never stops the host process.
 *
 * OWNERSHIP. Handles (loom_engine, loom_workflow, loom_result) are made by Loom and released with their own
 * destroy/free function, exactly once. A handle that was never made or is already released is refused with
 * LOOM_ERROR_INVALID_HANDLE rather than used. Strings Loom returns through `char **` are the caller's; release
 * them with loom_free(). Pointers inside a loom_event are valid only during the callback; strings inside a
 * loom_image_info are valid until their result is freed. Pixel buffers belong to the caller: Loom writes into
 * the buffer the caller passes to loom_result_read_image and keeps nothing. Strings passed in are UTF-8 and are
 * copied when Loom needs to keep them.
 *
 * THREADS. All functions may be called from any thread. Handles may be shared between threads: workflows and
 * results guard themselves; an engine runs one workflow at a time, and a second loom_run on the same engine waits
 * for the first. Different engines run in parallel. loom_interrupt may be called from any thread while another
 * thread is inside loom_run. The blocking calls, loom_run and loom_engine_destroy, wait for work Loom does on
 * threads of its own, so a thread of the host may block in them safely; they must not be called from inside an
 * event callback, where they return LOOM_ERROR_REENTRANT. Event callbacks run on a Loom thread, one at a time and
 * in order for a run; they may call loom_interrupt and any other function, and should return promptly: the run
 * waits for them.
 *
 * VERSIONING. loom_engine_options starts with its own size, so later versions can add fields at the end.
 */
#ifndef LOOM_H
#define LOOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOOM_API_VERSION 1

typedef enum loom_status {
    LOOM_OK = 0,
    /** A NULL pointer, an out-of-range index, an option out of range or a malformed JSON value. */
    LOOM_ERROR_INVALID_ARGUMENT = 1,
    /** A handle that Loom did not make, or that was already destroyed or freed. */
    LOOM_ERROR_INVALID_HANDLE = 2,
    /** A file or folder that cannot be read. */
    LOOM_ERROR_IO = 3,
    /** The workflow cannot be parsed as any format Loom reads. */
    LOOM_ERROR_FORMAT = 4,
    /** The workflow is invalid; loom_last_error_json() gives ComfyUI's {"error", "node_errors"}. */
    LOOM_ERROR_VALIDATION = 5,
    /** A node failed while running; loom_last_error_json() gives the execution_error data. */
    LOOM_ERROR_EXECUTION = 6,
    /** The run was interrupted by loom_interrupt. */
    LOOM_ERROR_INTERRUPTED = 7,
    /** No node with that id, no input with that name, or no such output. */
    LOOM_ERROR_NOT_FOUND = 8,
    /** A blocking call made from inside an event callback. */
    LOOM_ERROR_REENTRANT = 9,
    /** The caller's buffer is too small; loom_image_info gives the size needed. */
    LOOM_ERROR_BUFFER_TOO_SMALL = 10,
    /** Anything else Loom could not do (the message says what). */
    LOOM_ERROR_INTERNAL = 11,
} loom_status;

typedef struct loom_engine loom_engine;
typedef struct loom_workflow loom_workflow;
typedef struct loom_result loom_result;

/* ---------------------------------------------------------------------------------------------------------------
 * Errors and memory
 */

/** Loom's version, e.g. "0.1.0"; a static string. */
const char *loom_version(void);

/** What the last failed call on this thread reported, or "" when none did. */
const char *loom_last_error(void);

/** ComfyUI's JSON for the last failure on this thread (see ERRORS above), or NULL when it has none. */
const char *loom_last_error_json(void);

/** Releases a string Loom returned through a `char **`. NULL is ignored. */
void loom_free(void *pointer);

/* ---------------------------------------------------------------------------------------------------------------
 * Engines
 */

typedef enum loom_cache_policy {
    /** Keep every node output in memory until the engine is destroyed (the default). */
    LOOM_CACHE_UNBOUNDED = 0,
    /** Keep nothing between runs, in memory or on disk (ComfyUI's --cache-none). */
    LOOM_CACHE_NONE = 1,
    /** Keep the `cache_lru_count` most recently used outputs (ComfyUI's --cache-lru). */
    LOOM_CACHE_LRU = 2,
    /** Keep outputs within `cache_ram_bytes`, evicting large, old ones first. */
    LOOM_CACHE_RAM = 3,
} loom_cache_policy;

/** How to make an engine. Call loom_engine_options_init first, then set what differs; NULL strings take the
 *  defaults, which are those of the `loom` command. */
typedef struct loom_engine_options {
    /** sizeof(loom_engine_options), set by loom_engine_options_init. */
    size_t struct_size;
    /** The base of the input, output, temp and user folders (default: the current directory). */
    const char *base_dir;
    /** Laid out as ComfyUI's models/ (default: $LOOM_MODELS_DIR, else models/ in the base directory). */
    const char *models_dir;
    /** A ComfyUI extra_model_paths.yaml (default: none). */
    const char *extra_model_paths_config;
    /** Where LoadImage reads, SaveImage and PreviewImage write (defaults: input/, output/, temp/, user/ in the base). */
    const char *input_dir;
    const char *output_dir;
    const char *temp_dir;
    const char *user_dir;
    loom_cache_policy cache_policy;
    /** For LOOM_CACHE_LRU: how many outputs to keep (at least 0). */
    int64_t cache_lru_count;
    /** For LOOM_CACHE_RAM: the memory budget in bytes (at least 0). */
    int64_t cache_ram_bytes;
    /** Non-zero keeps cheap, deterministic outputs on disk for later processes (default: 1; off for
     *  LOOM_CACHE_NONE). */
    int32_t disk_cache;
    /** The on-disk cache folder (default: $LOOM_CACHE_DIR/outputs, else ~/.cache/loom/outputs). */
    const char *disk_cache_dir;
    /** The on-disk cache's size limit in bytes (default: 4 GiB). */
    int64_t disk_cache_bytes;
    /** A Vulkan device index or name substring (default: $LOOM_VULKAN_DEVICE, else the first device). The device
     *  is opened on first use, so workflows without neural nodes never touch the driver. */
    const char *device;
} loom_engine_options;

/** Fills `options` with the defaults. */
void loom_engine_options_init(loom_engine_options *options);

/** Makes an engine. `options` may be NULL for all defaults. On success `*engine` is set; release it with
 *  loom_engine_destroy. Fails with LOOM_ERROR_IO when the extra_model_paths file cannot be read. */
loom_status loom_engine_create(const loom_engine_options *options, loom_engine **engine);

/** Interrupts a run in flight, waits for it to stop, and releases the engine, its cache and its node instances.
 *  Workflows and results made with it stay usable (and must still be freed). NULL is ignored. */
loom_status loom_engine_destroy(loom_engine *engine);

/** Asks the engine's run in flight to stop before its next node (samplers also stop between steps). Returns at
 *  once; the run's loom_run returns LOOM_ERROR_INTERRUPTED. Without a run in flight it does nothing. */
loom_status loom_interrupt(loom_engine *engine);

/* ---------------------------------------------------------------------------------------------------------------
 * Workflows
 */

/** Reads a workflow file: API or UI JSON, YAML, or a PNG with an embedded workflow (told apart by content, and by
 *  the .yaml/.yml/.json extension where content cannot tell). Node classes are checked when it runs or validates. */
loom_status loom_workflow_load_file(loom_engine *engine, const char *path, loom_workflow **workflow);

/** Reads a workflow from memory: `size` bytes of API or UI JSON (also a POST /prompt body), YAML or PNG.
 *  `format` is "json", "yaml", "png" or NULL to tell by content. */
loom_status loom_workflow_load_data(
    loom_engine *engine, const void *data, size_t size, const char *format, loom_workflow **workflow);

/** Sets a widget input of a node before a run: `value_json` is the value as JSON (`7`, `"euler"`, `true`, `1.5`).
 *  LOOM_ERROR_NOT_FOUND when the node or the input does not exist in the node's class; LOOM_ERROR_INVALID_ARGUMENT
 *  when the input is fed by a link, or the JSON is malformed. Whether the value suits the input is checked when
 *  the workflow is validated or run, as ComfyUI checks it. */
loom_status loom_workflow_set_input(
    loom_workflow *workflow, const char *node_id, const char *input_name, const char *value_json);

/** The workflow in ComfyUI's API format (nodes by id with class_type, inputs and _meta.title), as set so far. */
loom_status loom_workflow_to_json(const loom_workflow *workflow, char **api_json);

/** Releases a workflow. NULL is ignored. */
loom_status loom_workflow_free(loom_workflow *workflow);

/* ---------------------------------------------------------------------------------------------------------------
 * Validating and running
 */

/** Checks the workflow against the engine's node library and folders without running it: LOOM_OK, or
 *  LOOM_ERROR_VALIDATION with ComfyUI's {"error", "node_errors"} in loom_last_error_json(). */
loom_status loom_validate(loom_engine *engine, const loom_workflow *workflow);

/** One message of a run, as ComfyUI sends it on its WebSocket. Valid only during the callback. */
typedef struct loom_event {
    /** ComfyUI's message type: "execution_start", "execution_cached", "executing", "progress", "executed",
     *  "execution_success", "execution_error", "execution_interrupted", or "b_preview" for a preview frame. */
    const char *type;
    /** The whole message, {"type": ..., "data": {...}}, NUL-terminated; `json_length` bytes without the NUL. */
    const char *json;
    size_t json_length;
    /** For "b_preview": the sampler's current picture as 8-bit RGB rows, width * height * 3 bytes; else NULL. */
    const uint8_t *preview_rgb;
    int32_t preview_width;
    int32_t preview_height;
} loom_event;

/** Receives the messages of a run in order, on a Loom thread, never two at once for one run. */
typedef void (*loom_event_callback)(const loom_event *event, void *user_data);

/** Validates and runs a workflow, blocking until it ends. `on_event` may be NULL; `user_data` is passed to it.
 *  Node outputs are cached by the engine's policy: an identical re-run executes nothing, and a changed widget
 *  re-runs that node and what depends on it.
 *  Returns LOOM_OK when every node succeeded, LOOM_ERROR_EXECUTION when a node failed, LOOM_ERROR_INTERRUPTED when
 *  loom_interrupt stopped it; in these three cases `*result` is set (release it with loom_result_free).
 *  LOOM_ERROR_VALIDATION (nothing ran) leaves `*result` NULL. */
loom_status loom_run(
    loom_engine *engine, const loom_workflow *workflow, loom_event_callback on_event, void *user_data,
    loom_result **result);

/* ---------------------------------------------------------------------------------------------------------------
 * Results
 */

/** ComfyUI's history entry for the run: {"prompt", "outputs", "status": {"status_str", "completed", "messages"},
 *  "meta"}. `outputs` holds each output node's UI results (saved file names, PreviewAny's text, ...). */
loom_status loom_result_history_json(const loom_result *result, char **history_json);

/** How many images the run's output nodes received (every frame of every batch, in the order the nodes ran). */
loom_status loom_result_image_count(const loom_result *result, size_t *count);

typedef enum loom_pixel_format {
    /** One byte per sample, the value a saved PNG holds: clamp(255 * x, 0, 255) truncated. */
    LOOM_PIXELS_UINT8 = 0,
    /** One float per sample, nominally 0...1 as ComfyUI's IMAGE, unclamped. */
    LOOM_PIXELS_FLOAT32 = 1,
} loom_pixel_format;

typedef struct loom_image_info {
    /** The output node that received the image, e.g. a SaveImage's id, and its input, e.g. "images". */
    const char *node_id;
    const char *input_name;
    /** The image's place in that input's batch. */
    int32_t batch_index;
    int32_t width;
    int32_t height;
    /** Samples per pixel: 3 for RGB, 4 for RGBA, 1 for a MASK. Rows are width * channels samples, top row first. */
    int32_t channels;
} loom_image_info;

/** Describes image `index` (0 ≤ index < count). */
loom_status loom_result_image_info(const loom_result *result, size_t index, loom_image_info *info);

/** Writes image `index` into the caller's buffer: height * width * channels samples, rows top first, channels
 *  interleaved; `buffer_size` is its size in bytes (the samples times 1 or 4). LOOM_ERROR_BUFFER_TOO_SMALL leaves it
 *  untouched. The samples are written straight into the buffer, without a copy in between. */
loom_status loom_result_read_image(
    const loom_result *result, size_t index, loom_pixel_format format, void *buffer, size_t buffer_size);

/** Releases a result. NULL is ignored. */
loom_status loom_result_free(loom_result *result);

#ifdef __cplusplus
}
#endif

#endif /* LOOM_H */
