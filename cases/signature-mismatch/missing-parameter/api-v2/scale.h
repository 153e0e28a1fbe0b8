// The scale plugin API, 2.0: scale has a third parameter, offset, and returns value * factor +
// offset. A host of 1.0 calls it with two arguments, and offset is whatever %edx holds.
#pragma once

#define SCALE_API_MAJOR 2
using scale_function = int(int value, int factor, int offset);
