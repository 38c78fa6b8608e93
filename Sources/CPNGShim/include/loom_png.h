#ifndef LOOM_PNG_H
#define LOOM_PNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Why a call failed; the message in the error buffer says more.
typedef enum {
    LOOM_PNG_OK = 0,
    LOOM_PNG_NOT_PNG = 1,
    LOOM_PNG_CORRUPT = 2,
    LOOM_PNG_UNSUPPORTED = 3,
    LOOM_PNG_OUT_OF_MEMORY = 4,
    /// The image is larger than the caller's limit; nothing was allocated for its pixels.
    LOOM_PNG_TOO_LARGE = 5,
} loom_png_status;

/// A text chunk. `is_utf8` is set for iTXt (UTF-8); tEXt and zTXt are Latin-1.
typedef struct {
    char *key;
    char *text;
    size_t text_length;
    int is_utf8;
} loom_png_text;

/// A decoded image: `channels` samples per pixel (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA),
/// each 8 bits, or 16 bits in host byte order when `bit_depth` is 16. Rows are packed.
typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;
    int channels;
    uint8_t *pixels;
    size_t pixel_bytes;
    loom_png_text *texts;
    size_t text_count;
} loom_png_image;

/// Decodes a whole PNG held in memory. Palette and low-bit-depth grey are expanded to 8 bits, and a
/// palette's tRNS becomes an alpha channel (the colour key of grey and RGB images is ignored, as PIL does). On failure returns a status and writes a message to `error`.
/// `max_pixels` bounds width × height, checked from the header before the pixels are allocated.
loom_png_status loom_png_decode(const uint8_t *data, size_t size, uint32_t max_dimension, uint64_t max_pixels,
                                loom_png_image *image, char *error, size_t error_size);

/// Reads the size and the text chunks (tEXt, zTXt, iTXt, before or after the image data) without decoding a
/// pixel: `pixels` stays NULL. For reading a workflow out of an image of any size.
loom_png_status loom_png_read_texts(const uint8_t *data, size_t size, loom_png_image *image, char *error,
                                    size_t error_size);

void loom_png_image_free(loom_png_image *image);

/// Encodes packed pixels (layout as in `loom_png_image`) with uncompressed tEXt chunks.
/// `compression_level` is zlib's 0...9. The result is malloc'd; release it with `loom_png_buffer_free`.
loom_png_status loom_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int bit_depth,
                                const char *const *text_keys, const char *const *text_values, size_t text_count,
                                int compression_level, uint8_t **output, size_t *output_size, char *error,
                                size_t error_size);

void loom_png_buffer_free(uint8_t *buffer);

#ifdef __cplusplus
}
#endif

#endif
