// SHA-1 through OpenSSL's libcrypto (Ray's package names are SHA-1 based).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace raycl::packaging {

/// An incremental SHA-1. Not copyable.
class sha1 {
public:
    sha1();
    ~sha1();
    sha1(const sha1&) = delete;
    sha1& operator=(const sha1&) = delete;

    /// Starts over.
    void reset();
    /// Adds bytes.
    void update(const void* data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
    /// The digest of everything added since the last reset; the object must be reset to reuse.
    std::array<std::uint8_t, 20> finish();

private:
    evp_md_ctx_st* context_;
};

}  // namespace raycl::packaging
