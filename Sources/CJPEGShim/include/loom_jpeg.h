#ifndef LOOM_JPEG_H
#define LOOM_JPEG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Why decoding failed; the message in the error buffer says more.
typedef enum {
    LOOM_JPEG_OK = 0,
    LOOM_JPEG_NOT_JPEG = 1,
    LOOM_JPEG_CORRUPT = 2,
    LOOM_JPEG_UNSUPPORTED = 3,
    LOOM_JPEG_OUT_OF_MEMORY = 4,
    /// The image is larger than the caller's limit; nothing was allocated for its pixels.
    LOOM_JPEG_TOO_LARGE = 5,
} loom_jpeg_status;

/// A decoded JPEG: 8-bit grey (1 channel) or RGB (3 channels), rows packed. `exif` holds the TIFF
/// data of an Exif APP1 segment when there is one, for the orientation tag.
typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;
    uint8_t *pixels;
    uint8_t *exif;
    size_t exif_length;
} loom_jpeg_image;

/// Decodes a baseline or progressive JPEG with libjpeg's defaults (accurate integer DCT, fancy
/// upsampling), as PIL does. A file that ends early is an error, as it is for PIL.
/// `max_pixels` bounds width × height, checked from the header before the pixels are allocated.
loom_jpeg_status loom_jpeg_decode(const uint8_t *data, size_t size, uint32_t max_dimension, uint64_t max_pixels,
                                  loom_jpeg_image *image, char *error, size_t error_size);

void loom_jpeg_image_free(loom_jpeg_image *image);

/// Encodes 8-bit grey (1 channel) or RGB (3 channels) packed rows as a baseline JPEG at `quality` (1...100)
/// with libjpeg's default 4:2:0 chroma subsampling, as PIL does. `*output` is freed with `loom_jpeg_buffer_free`.
loom_jpeg_status loom_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int quality,
                                  uint8_t **output, size_t *output_size, char *error, size_t error_size);

void loom_jpeg_buffer_free(uint8_t *buffer);

#ifdef __cplusplus
}
#endif

#endif
