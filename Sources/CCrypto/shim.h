// OpenSSL's libcrypto digests (Debian: libssl-dev), for SHA-256 checks of downloads.
#include <openssl/evp.h>
