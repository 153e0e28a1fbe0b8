// The scale plugin API, 1.0: a plugin exports extern "C" int scale(int value, int factor),
// which returns value * factor.
#pragma once

#define SCALE_API_MAJOR 1
using scale_function = int(int value, int factor);
