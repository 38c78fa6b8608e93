#include "loom_jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

// libjpeg reports fatal errors through error_exit, which must not return; it longjmps back to the
// setjmp in loom_jpeg_decode, so no Swift frame is skipped. State used after the jump lives on the heap.

typedef struct {
    struct jpeg_error_mgr manager; // First member: libjpeg's error pointer is this state.
    jmp_buf jump;
    loom_jpeg_status status;
    char *error;
    size_t error_size;
    struct jpeg_decompress_struct decoder;
    int decoder_created;
} decode_state;

static void fail(decode_state *state, loom_jpeg_status status, const char *message) {
    if (state->status == LOOM_JPEG_OK) {
        state->status = status;
        if (state->error && state->error_size) {
            snprintf(state->error, state->error_size, "%s", message);
        }
    }
    longjmp(state->jump, 1);
}

static void on_error_exit(j_common_ptr common) {
    decode_state *state = (decode_state *)common->err;
    char message[JMSG_LENGTH_MAX];
    common->err->format_message(common, message);
    fail(state, common->err->msg_code == JERR_OUT_OF_MEMORY ? LOOM_JPEG_OUT_OF_MEMORY : LOOM_JPEG_CORRUPT, message);
}

static void on_message(j_common_ptr common, int level) {
    // libjpeg pads a file that ends early with grey and only warns; PIL refuses such files.
    if (level < 0 && common->err->msg_code == JWRN_JPEG_EOF) {
        fail((decode_state *)common->err, LOOM_JPEG_CORRUPT, "the file is truncated");
    }
}


static void keep_exif(decode_state *state, loom_jpeg_image *image) {
    for (jpeg_saved_marker_ptr marker = state->decoder.marker_list; marker; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length > 6 && memcmp(marker->data, "Exif\0\0", 6) == 0) {
            image->exif_length = marker->data_length - 6;
            image->exif = malloc(image->exif_length);
            if (!image->exif) {
                fail(state, LOOM_JPEG_OUT_OF_MEMORY, "out of memory for the Exif data");
            }
            memcpy(image->exif, marker->data + 6, image->exif_length);
            return;
        }
    }
}

loom_jpeg_status loom_jpeg_decode(const uint8_t *data, size_t size, uint32_t max_dimension, uint64_t max_pixels,
                                  loom_jpeg_image *image, char *error, size_t error_size) {
    memset(image, 0, sizeof *image);
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
        if (error && error_size) {
            snprintf(error, error_size, "not a JPEG file (the start-of-image marker is missing)");
        }
        return LOOM_JPEG_NOT_JPEG;
    }
    decode_state *state = calloc(1, sizeof(decode_state));
    if (!state) {
        if (error && error_size) {
            snprintf(error, error_size, "out of memory");
        }
        return LOOM_JPEG_OUT_OF_MEMORY;
    }
    state->error = error;
    state->error_size = error_size;
    state->decoder.err = jpeg_std_error(&state->manager);
    state->manager.error_exit = on_error_exit;
    state->manager.emit_message = on_message;

    if (setjmp(state->jump)) {
        loom_jpeg_status status = state->status;
        if (state->decoder_created) {
            jpeg_destroy_decompress(&state->decoder);
        }
        free(state);
        loom_jpeg_image_free(image);
        return status;
    }

    jpeg_create_decompress(&state->decoder);
    state->decoder_created = 1;
    jpeg_mem_src(&state->decoder, data, (unsigned long)size);
    jpeg_save_markers(&state->decoder, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&state->decoder, TRUE);

    switch (state->decoder.jpeg_color_space) {
    case JCS_GRAYSCALE:
        state->decoder.out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        state->decoder.out_color_space = JCS_RGB;
        break;
    default:
        fail(state, LOOM_JPEG_UNSUPPORTED, "CMYK and YCCK JPEG images are not supported");
    }
    if (state->decoder.image_width > max_dimension || state->decoder.image_height > max_dimension) {
        char message[160];
        snprintf(message, sizeof message, "the image is %u x %u pixels, more than the %u allowed per side",
                 (unsigned)state->decoder.image_width, (unsigned)state->decoder.image_height, (unsigned)max_dimension);
        fail(state, LOOM_JPEG_UNSUPPORTED, message);
    }
    if ((uint64_t)state->decoder.image_width * state->decoder.image_height > max_pixels) {
        char message[200];
        snprintf(message, sizeof message, "the image is %u x %u = %llu pixels, more than the limit of %llu",
                 (unsigned)state->decoder.image_width, (unsigned)state->decoder.image_height,
                 (unsigned long long)state->decoder.image_width * state->decoder.image_height,
                 (unsigned long long)max_pixels);
        fail(state, LOOM_JPEG_TOO_LARGE, message);
    }
    keep_exif(state, image);

    jpeg_start_decompress(&state->decoder);
    image->width = state->decoder.output_width;
    image->height = state->decoder.output_height;
    image->channels = state->decoder.output_components;
    size_t row_bytes = (size_t)image->width * (size_t)image->channels;
    image->pixels = malloc(row_bytes * image->height);
    if (!image->pixels) {
        fail(state, LOOM_JPEG_OUT_OF_MEMORY, "out of memory for the pixels");
    }
    while (state->decoder.output_scanline < state->decoder.output_height) {
        JSAMPROW row = image->pixels + (size_t)state->decoder.output_scanline * row_bytes;
        jpeg_read_scanlines(&state->decoder, &row, 1);
    }
    jpeg_finish_decompress(&state->decoder);
    jpeg_destroy_decompress(&state->decoder);
    free(state);
    return LOOM_JPEG_OK;
}

void loom_jpeg_image_free(loom_jpeg_image *image) {
    free(image->pixels);
    free(image->exif);
    memset(image, 0, sizeof *image);
}

// Encoding shares the decoder's longjmp error path; its state is on the heap for the same reason.
typedef struct {
    struct jpeg_error_mgr manager; // First member: libjpeg's error pointer is this state.
    jmp_buf jump;
    char *error;
    size_t error_size;
    struct jpeg_compress_struct encoder;
    unsigned char *buffer;
    unsigned long buffer_size;
} encode_state;

static void on_encode_error_exit(j_common_ptr common) {
    encode_state *state = (encode_state *)common->err;
    if (state->error && state->error_size) {
        char message[JMSG_LENGTH_MAX];
        common->err->format_message(common, message);
        snprintf(state->error, state->error_size, "%s", message);
    }
    longjmp(state->jump, 1);
}

loom_jpeg_status loom_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int quality,
                                  uint8_t **output, size_t *output_size, char *error, size_t error_size) {
    *output = NULL;
    *output_size = 0;
    if ((channels != 1 && channels != 3) || width == 0 || height == 0 || width > 65500 || height > 65500) {
        if (error && error_size) {
            snprintf(error, error_size, "JPEG needs 1 or 3 channels and sides of 1...65500 pixels");
        }
        return LOOM_JPEG_UNSUPPORTED;
    }
    encode_state *state = calloc(1, sizeof(encode_state));
    if (!state) {
        return LOOM_JPEG_OUT_OF_MEMORY;
    }
    state->error = error;
    state->error_size = error_size;
    state->encoder.err = jpeg_std_error(&state->manager);
    state->manager.error_exit = on_encode_error_exit;
    if (setjmp(state->jump)) {
        jpeg_destroy_compress(&state->encoder);
        free(state->buffer);
        free(state);
        return LOOM_JPEG_CORRUPT;
    }
    jpeg_create_compress(&state->encoder);
    jpeg_mem_dest(&state->encoder, &state->buffer, &state->buffer_size);
    state->encoder.image_width = width;
    state->encoder.image_height = height;
    state->encoder.input_components = channels;
    state->encoder.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&state->encoder);
    jpeg_set_quality(&state->encoder, quality < 1 ? 1 : quality > 100 ? 100 : quality, TRUE);
    jpeg_start_compress(&state->encoder, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (state->encoder.next_scanline < height) {
        JSAMPROW row = (JSAMPROW)(pixels + state->encoder.next_scanline * stride);
        jpeg_write_scanlines(&state->encoder, &row, 1);
    }
    jpeg_finish_compress(&state->encoder);
    jpeg_destroy_compress(&state->encoder);
    *output = state->buffer;
    *output_size = state->buffer_size;
    free(state);
    return LOOM_JPEG_OK;
}

void loom_jpeg_buffer_free(uint8_t *buffer) { free(buffer); }
