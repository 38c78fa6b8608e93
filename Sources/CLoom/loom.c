#include "loom.h"
