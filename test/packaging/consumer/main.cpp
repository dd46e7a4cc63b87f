// Links against raycl and checks that validation errors surface as client_error 400.
#include <raycl/raycl.hpp>

#include <iostream>

int main() {
    raycl::client_options options;
    options.address = "ftp://127.0.0.1:1";
    options.discover_token = false;
    try {
        raycl::client client(options);
    } catch (const raycl::client_error& error) {
        std::cout << "raycl " << raycl::version_string << ": " << error.status() << "\n";
        return error.status() == 400 ? 0 : 1;
    }
    return 1;
}
