// The exact log text of test/integration/python/known_output_job.py.
#pragma once

#include <string>

namespace raycl::test {

inline std::string known_output() {
    std::string text = "raycl known output v1\n";
    text += "unicode: h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\n";
    text += "long: ";
    for (int i = 0; i < 1200; ++i) text += "0123456789";
    text += "\n";
    text += "squares: [1, 4, 9]\n";
    text += "counter: 14\n";
    text += "the end";
    return text;
}

}  // namespace raycl::test
