/// @file
/// @brief Umbrella header of raycl, the C++20 coroutine client of the Ray dashboard API.
#pragma once

#include <raycl/client.hpp>
#include <raycl/error.hpp>
#include <raycl/log_stream.hpp>
#include <raycl/logs.hpp>
#include <raycl/models.hpp>
#include <raycl/options.hpp>
#include <raycl/runtime_env.hpp>
#include <raycl/state.hpp>
#include <raycl/version.hpp>
