/// @file
/// @brief raycl's own version.
#pragma once

/// @brief raycl's version as a string literal, also sent as `User-Agent: raycl/<version>`.
#define RAYCL_VERSION_STRING "0.1.0"

namespace raycl {
/// @brief raycl's version, e.g. `"0.1.0"`.
inline constexpr const char* version_string = RAYCL_VERSION_STRING;
}  // namespace raycl
