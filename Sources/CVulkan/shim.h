#ifndef LOOM_CVULKAN_SHIM_H
#define LOOM_CVULKAN_SHIM_H
#include <vulkan/vulkan.h>
#endif
