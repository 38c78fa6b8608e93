#include "loom_png.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// libpng reports errors by longjmp to the setjmp of the calling function. Every such jump lands in
// this file, so no Swift frame is ever skipped. State touched after setjmp lives on the heap behind
// a pointer that is itself never reassigned, which keeps it valid after a jump.

typedef struct {
    loom_png_status status;
    char *error;
    size_t error_size;
} shim_report;

static void report(shim_report *report, loom_png_status status, const char *message) {
    if (report->status != LOOM_PNG_OK) {
        return; // Keep the first, most specific problem.
    }
    report->status = status;
    if (report->error && report->error_size) {
        snprintf(report->error, report->error_size, "%s", message);
    }
}

static void on_error(png_structp png, png_const_charp message) {
    report((shim_report *)png_get_error_ptr(png), LOOM_PNG_CORRUPT, message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    // Damaged ancillary chunks are skipped, as image viewers do.
    (void)png;
    (void)message;
}

// MARK: Decoding

typedef struct {
    shim_report report; // First member: libpng's error pointer doubles as the decode state.
    const uint8_t *data;
    size_t size;
    size_t offset;
    png_bytep *rows;
} decode_state;

static void read_bytes(png_structp png, png_bytep out, size_t length) {
    decode_state *state = (decode_state *)png_get_io_ptr(png);
    if (length > state->size - state->offset) {
        report(&state->report, LOOM_PNG_CORRUPT, "the file is truncated");
        png_error(png, "the file is truncated");
    }
    memcpy(out, state->data + state->offset, length);
    state->offset += length;
}

static int copy_texts(png_structp png, png_infop info, loom_png_image *image) {
    png_textp texts = NULL;
    int count = png_get_text(png, info, &texts, NULL);
    if (count <= 0) {
        return 1;
    }
    image->texts = calloc((size_t)count, sizeof(loom_png_text));
    if (!image->texts) {
        return 0;
    }
    for (int i = 0; i < count; i++) {
        const char *text = texts[i].text ? texts[i].text : "";
        loom_png_text *copy = &image->texts[i];
        copy->key = strdup(texts[i].key);
        copy->text = strdup(text);
        copy->text_length = strlen(text);
        copy->is_utf8 = texts[i].compression >= PNG_ITXT_COMPRESSION_NONE;
        image->text_count = (size_t)i + 1;
        if (!copy->key || !copy->text) {
            return 0;
        }
    }
    return 1;
}

static uint32_t big_endian_32(const uint8_t *bytes) {
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
}

// libpng only warns about an ancillary chunk longer than the file and then allocates (and clears)
// whatever the damaged length field says, up to 2 GiB. Walking the chunk lengths first turns such
// files into a quick, clear error.
static int chunk_lengths_fit(const uint8_t *data, size_t size, shim_report *report_to) {
    size_t offset = 8;
    while (size - offset >= 8) {
        uint32_t length = big_endian_32(data + offset);
        char type[5];
        for (int i = 0; i < 4; i++) {
            uint8_t c = data[offset + 4 + i];
            type[i] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ? (char)c : '?';
        }
        type[4] = 0;
        if (length > PNG_UINT_31_MAX || (size_t)length + 12 > size - offset) {
            char message[160];
            snprintf(message, sizeof message,
                     "the %s chunk at byte %zu needs %u bytes but the file ends first: it is truncated or damaged",
                     type, offset, (unsigned)length);
            report(report_to, LOOM_PNG_CORRUPT, message);
            return 0;
        }
        if (memcmp(data + offset + 4, "IEND", 4) == 0) {
            break;
        }
        offset += 12 + (size_t)length;
    }
    return 1;
}

// The signature and the chunk lengths, checked before libpng sees the data.
static int structure_is_sound(const uint8_t *data, size_t size, shim_report *report_to) {
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        report(report_to, LOOM_PNG_NOT_PNG, "not a PNG file (the PNG signature is missing)");
        return 0;
    }
    return chunk_lengths_fit(data, size, report_to);
}

loom_png_status loom_png_decode(const uint8_t *data, size_t size, uint32_t max_dimension, uint64_t max_pixels,
                                loom_png_image *image, char *error, size_t error_size) {
    memset(image, 0, sizeof *image);
    shim_report early = {LOOM_PNG_OK, error, error_size};
    if (!structure_is_sound(data, size, &early)) {
        return early.status;
    }
    decode_state *state = calloc(1, sizeof(decode_state));
    if (!state) {
        report(&early, LOOM_PNG_OUT_OF_MEMORY, "out of memory");
        return early.status;
    }
    state->report = early;
    state->data = data;
    state->size = size;

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        free(state);
        report(&early, LOOM_PNG_OUT_OF_MEMORY, "out of memory");
        return early.status;
    }
    if (setjmp(png_jmpbuf(png))) {
        loom_png_status status = state->report.status;
        free(state->rows);
        free(state);
        png_destroy_read_struct(&png, &info, NULL);
        loom_png_image_free(image);
        return status;
    }

    png_set_read_fn(png, state, read_bytes);
    // libpng's own size limit fails with a vague "Invalid IHDR data"; the check below says what is wrong.
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
    if (width > max_dimension || height > max_dimension) {
        char message[160];
        snprintf(message, sizeof message, "the image is %u x %u pixels, more than the %u allowed per side",
                 (unsigned)width, (unsigned)height, (unsigned)max_dimension);
        report(&state->report, LOOM_PNG_UNSUPPORTED, message);
        png_error(png, message);
    }
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        char message[200];
        snprintf(message, sizeof message, "the image is %u x %u = %llu pixels, more than the limit of %llu",
                 (unsigned)width, (unsigned)height, (unsigned long long)width * height,
                 (unsigned long long)max_pixels);
        report(&state->report, LOOM_PNG_TOO_LARGE, message);
        png_error(png, message);
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    // Only a palette's tRNS becomes alpha: PIL, and so ComfyUI's LoadImage, ignores the colour key of
    // grey and RGB images.
    if (color_type == PNG_COLOR_TYPE_PALETTE && png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_tRNS_to_alpha(png);
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bit_depth == 16) {
        png_set_swap(png);
    }
#endif
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t row_bytes = png_get_rowbytes(png, info);
    if (height == 0 || row_bytes == 0 || (size_t)height > SIZE_MAX / row_bytes) {
        report(&state->report, LOOM_PNG_UNSUPPORTED, "the image is too large");
        png_error(png, "the image is too large");
    }
    image->width = width;
    image->height = height;
    image->bit_depth = png_get_bit_depth(png, info);
    image->channels = png_get_channels(png, info);
    image->pixel_bytes = row_bytes * height;
    image->pixels = malloc(image->pixel_bytes);
    state->rows = malloc(sizeof(png_bytep) * height);
    if (!image->pixels || !state->rows) {
        report(&state->report, LOOM_PNG_OUT_OF_MEMORY, "out of memory for the pixels");
        png_error(png, "out of memory");
    }
    for (png_uint_32 y = 0; y < height; y++) {
        state->rows[y] = image->pixels + (size_t)y * row_bytes;
    }
    png_read_image(png, state->rows);
    // Text chunks may follow the image data; reading to the end collects them too.
    png_read_end(png, info);
    if (!copy_texts(png, info, image)) {
        report(&state->report, LOOM_PNG_OUT_OF_MEMORY, "out of memory for the text chunks");
        png_error(png, "out of memory");
    }

    free(state->rows);
    free(state);
    png_destroy_read_struct(&png, &info, NULL);
    return LOOM_PNG_OK;
}

// MARK: Text chunks only

// libpng stops reading at the first IDAT chunk once it has what the header needs, and only reads text
// chunks that come after the image data by decompressing it. So the chunks are copied into a second stream:
// everything before the first IDAT, the text chunks after it, then an empty IDAT for libpng to stop at.
loom_png_status loom_png_read_texts(const uint8_t *data, size_t size, loom_png_image *image, char *error,
                                    size_t error_size) {
    memset(image, 0, sizeof *image);
    shim_report early = {LOOM_PNG_OK, error, error_size};
    if (!structure_is_sound(data, size, &early)) {
        return early.status;
    }
    static const uint8_t empty_idat[12] = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xAF, 0x06, 0x1E};
    uint8_t *stream = malloc(size + sizeof empty_idat);
    if (!stream) {
        report(&early, LOOM_PNG_OUT_OF_MEMORY, "out of memory");
        return early.status;
    }
    memcpy(stream, data, 8);
    size_t length = 8;
    int seen_idat = 0;
    for (size_t offset = 8; size - offset >= 12;) {
        size_t chunk = 12 + (size_t)big_endian_32(data + offset);
        const uint8_t *type = data + offset + 4;
        if (memcmp(type, "IEND", 4) == 0) {
            break;
        }
        int is_idat = memcmp(type, "IDAT", 4) == 0;
        int is_text = memcmp(type, "tEXt", 4) == 0 || memcmp(type, "zTXt", 4) == 0 || memcmp(type, "iTXt", 4) == 0;
        seen_idat |= is_idat;
        if (!is_idat && (!seen_idat || is_text)) {
            memcpy(stream + length, data + offset, chunk);
            length += chunk;
        }
        offset += chunk;
    }
    memcpy(stream + length, empty_idat, sizeof empty_idat);
    length += sizeof empty_idat;

    decode_state *state = calloc(1, sizeof(decode_state));
    png_structp png = state ? png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!state || !png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        free(state);
        free(stream);
        report(&early, LOOM_PNG_OUT_OF_MEMORY, "out of memory");
        return early.status;
    }
    state->report = early;
    state->data = stream;
    state->size = length;
    if (setjmp(png_jmpbuf(png))) {
        loom_png_status status = state->report.status;
        free(state);
        free(stream);
        png_destroy_read_struct(&png, &info, NULL);
        loom_png_image_free(image);
        return status;
    }
    png_set_read_fn(png, state, read_bytes);
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_read_info(png, info);
    image->width = png_get_image_width(png, info);
    image->height = png_get_image_height(png, info);
    if (!copy_texts(png, info, image)) {
        report(&state->report, LOOM_PNG_OUT_OF_MEMORY, "out of memory for the text chunks");
        png_error(png, "out of memory");
    }
    free(state);
    free(stream);
    png_destroy_read_struct(&png, &info, NULL);
    return LOOM_PNG_OK;
}

void loom_png_image_free(loom_png_image *image) {
    for (size_t i = 0; i < image->text_count; i++) {
        free(image->texts[i].key);
        free(image->texts[i].text);
    }
    free(image->texts);
    free(image->pixels);
    memset(image, 0, sizeof *image);
}

// MARK: Encoding

typedef struct {
    shim_report report; // First member, as in decode_state.
    uint8_t *data;
    size_t size;
    size_t capacity;
    png_bytep *rows;
    png_textp texts;
} encode_state;

static void write_bytes(png_structp png, png_bytep bytes, size_t length) {
    encode_state *state = (encode_state *)png_get_io_ptr(png);
    if (length > state->capacity - state->size) {
        size_t capacity = state->capacity ? state->capacity : 4096;
        while (length > capacity - state->size) {
            if (capacity > SIZE_MAX / 2) {
                capacity = SIZE_MAX;
                break;
            }
            capacity *= 2;
        }
        uint8_t *grown = realloc(state->data, capacity);
        if (!grown) {
            report(&state->report, LOOM_PNG_OUT_OF_MEMORY, "out of memory for the encoded file");
            png_error(png, "out of memory");
        }
        state->data = grown;
        state->capacity = capacity;
    }
    memcpy(state->data + state->size, bytes, length);
    state->size += length;
}

static void flush_bytes(png_structp png) { (void)png; }

loom_png_status loom_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int bit_depth,
                                const char *const *text_keys, const char *const *text_values, size_t text_count,
                                int compression_level, uint8_t **output, size_t *output_size, char *error,
                                size_t error_size) {
    *output = NULL;
    *output_size = 0;
    shim_report early = {LOOM_PNG_OK, error, error_size};
    static const int color_types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                      PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) || width == 0 || height == 0) {
        report(&early, LOOM_PNG_UNSUPPORTED, "PNG encoding needs 1 to 4 channels of 8 or 16 bits and a non-empty size");
        return early.status;
    }
    encode_state *state = calloc(1, sizeof(encode_state));
    if (!state) {
        report(&early, LOOM_PNG_OUT_OF_MEMORY, "out of memory");
        return early.status;
    }
    state->report = early;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(png ? &png : NULL, NULL);
        free(state);
        report(&early, LOOM_PNG_OUT_OF_MEMORY, "out of memory");
        return early.status;
    }
    if (setjmp(png_jmpbuf(png))) {
        loom_png_status status = state->report.status;
        free(state->data);
        free(state->rows);
        free(state->texts);
        free(state);
        png_destroy_write_struct(&png, &info);
        return status;
    }

    png_set_write_fn(png, state, write_bytes, flush_bytes);
    png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, width, height, bit_depth, color_types[channels - 1], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (text_count > 0) {
        state->texts = calloc(text_count, sizeof(png_text));
        if (!state->texts) {
            report(&state->report, LOOM_PNG_OUT_OF_MEMORY, "out of memory for the text chunks");
            png_error(png, "out of memory");
        }
        for (size_t i = 0; i < text_count; i++) {
            state->texts[i].compression = PNG_TEXT_COMPRESSION_NONE;
            state->texts[i].key = (png_charp)text_keys[i];
            state->texts[i].text = (png_charp)text_values[i];
            state->texts[i].text_length = strlen(text_values[i]);
        }
        png_set_text(png, info, state->texts, (int)text_count);
    }
    png_write_info(png, info);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bit_depth == 16) {
        png_set_swap(png);
    }
#endif
    size_t row_bytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    state->rows = malloc(sizeof(png_bytep) * height);
    if (!state->rows) {
        report(&state->report, LOOM_PNG_OUT_OF_MEMORY, "out of memory");
        png_error(png, "out of memory");
    }
    for (uint32_t y = 0; y < height; y++) {
        state->rows[y] = (png_bytep)pixels + (size_t)y * row_bytes;
    }
    png_write_image(png, state->rows);
    png_write_end(png, NULL);

    *output = state->data;
    *output_size = state->size;
    free(state->rows);
    free(state->texts);
    free(state);
    png_destroy_write_struct(&png, &info);
    return LOOM_PNG_OK;
}

void loom_png_buffer_free(uint8_t *buffer) { free(buffer); }
