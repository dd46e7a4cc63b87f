#include "runtime_env/sha1.hpp"

#include <openssl/evp.h>

#include <new>
#include <stdexcept>

namespace raycl::packaging {

sha1::sha1() : context_(EVP_MD_CTX_new()) {
    if (!context_) throw std::bad_alloc();
    reset();
}

sha1::~sha1() {
    EVP_MD_CTX_free(context_);
}

void sha1::reset() {
    if (EVP_DigestInit_ex(context_, EVP_sha1(), nullptr) != 1) throw std::runtime_error("SHA-1 is not available");
}

void sha1::update(const void* data, std::size_t size) {
    if (size != 0 && EVP_DigestUpdate(context_, data, size) != 1) throw std::runtime_error("SHA-1 update failed");
}

std::array<std::uint8_t, 20> sha1::finish() {
    std::array<std::uint8_t, 20> digest{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_, digest.data(), &length) != 1 || length != digest.size())
        throw std::runtime_error("SHA-1 finalisation failed");
    return digest;
}

}  // namespace raycl::packaging
